{#- A canonical (8-4-4-4-12 hex) uuid text as uuid, or null when it is not one. -#}
{%- macro try_cast_uuid(expression) -%}
    case
        when {{ expression }} ~ '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'
            then cast({{ expression }} as uuid)
    end
{%- endmacro -%}
