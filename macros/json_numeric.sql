{#-
    Top-level key of a JSON object column as numeric with every digit kept, or null when it
    is not a decimal: a JSON number is converted directly (exact, no regex), a string goes
    through try_cast_numeric.
-#}
{%- macro json_numeric(json_column, key) -%}
    {{ return(adapter.dispatch('json_numeric', 'routing_analytics')(json_column, key)) }}
{%- endmacro -%}

{%- macro default__json_numeric(json_column, key) -%}
    {{ try_cast_numeric(json_text(json_column, key)) }}
{%- endmacro -%}

{%- macro postgres__json_numeric(json_column, key) -%}
    {%- set value = json_value(json_column, key) -%}
    case jsonb_typeof({{ value }})
        when 'number' then cast({{ value }} as numeric)
        when 'string' then {{ try_cast_numeric('(' ~ value ~ ' #>> ' ~ "'{}')") }}
    end
{%- endmacro -%}
