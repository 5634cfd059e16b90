{#- A canonical (8-4-4-4-12 hex) uuid text as uuid, or null when it is not one. -#}
{%- macro try_cast_uuid(expression) -%}
    {{ return(adapter.dispatch('try_cast_uuid', 'routing_analytics')(expression)) }}
{%- endmacro -%}

{%- macro default__try_cast_uuid(expression) -%}
    {{ dbt.safe_cast(expression, api.Column.translate_type('string')) }}
{%- endmacro -%}

{%- macro postgres__try_cast_uuid(expression) -%}
    case
        when {{ expression }} ~ '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'
            then cast({{ expression }} as uuid)
    end
{%- endmacro -%}
