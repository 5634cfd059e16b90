{#-
    Top-level key of a JSON object column as numeric with every digit kept, or null when it
    is not a decimal: a JSON number is converted directly (exact, no regex), a string goes
    through try_cast_numeric.
-#}
{%- macro json_numeric(json_column, key) -%}
    {%- set value = json_value(json_column, key) -%}
    case jsonb_typeof({{ value }})
        when 'number' then cast({{ value }} as numeric)
        when 'string' then {{ try_cast_numeric('(' ~ value ~ ' #>> ' ~ "'{}')") }}
    end
{%- endmacro -%}
