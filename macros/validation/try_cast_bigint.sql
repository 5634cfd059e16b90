{#-
    A whole-number text as bigint, or null when it is not one. JSON numbers such as 1500.0
    count as whole; up to 18 digits, so the cast can never overflow.
-#}
{%- macro try_cast_bigint(expression) -%}
    case
        when translate({{ expression }}, '0123456789', '') = '' and length({{ expression }}) between 1 and 18
            then cast({{ expression }} as bigint)
        when {{ expression }} ~ '^[+-]?[0-9]{1,18}([.]0*)?$'
            then cast(cast({{ expression }} as numeric) as bigint)
    end
{%- endmacro -%}
