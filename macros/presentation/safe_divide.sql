{#-
    numerator / denominator, null when the denominator is 0 or null (instead of a division by
    zero error). Exact numeric operands stay numeric; the result has PostgreSQL's numeric
    division precision (at least 16 significant digits), so multiply before dividing.
-#}
{%- macro safe_divide(numerator, denominator) -%}
    {%- if numerator is none or denominator is none
        or (numerator | string | trim | length == 0)
        or (denominator | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error(
            "safe_divide: numerator and denominator must be SQL expressions"
        ) }}
    {%- endif -%}
    ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro -%}
