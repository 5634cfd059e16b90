{#-
    A decimal text as numeric with every digit kept (no precision or scale), or null when it
    does not parse. Accepts an optional sign and exponent; refuses NaN, Infinity, blanks.
    `expression` should be a column (it is evaluated more than once).
-#}
{%- macro try_cast_numeric(expression) -%}
    {#- Plain decimals (digits with at most one point) are recognised with translate, ~4x
        cheaper than the regex, which then only sees signs and exponents. -#}
    case
        when
            translate({{ expression }}, '0123456789', '') in ('', '.')
            and {{ expression }} not in ('', '.')
            and length({{ expression }}) <= 131
            then cast({{ expression }} as numeric)
        when {{ expression }} ~ '^[+-]?([0-9]{1,30}([.][0-9]{0,100})?|[.][0-9]{1,100})([Ee][+-]?[0-9]{1,3})?$'
            then cast({{ expression }} as numeric)
    end
{%- endmacro -%}
