{#-
    A numeric with its trailing fractional zeros removed (0.002000 -> 0.002,
    0.09000000000000000000 -> 0.09): the same value, shown in its shortest exact form, so
    that a cost does not carry the scale that multiplication and division add (trim_scale,
    PostgreSQL 13+).
-#}
{%- macro trim_numeric_scale(expression) -%}
    {%- if expression is none or (expression | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error("trim_numeric_scale: expression is required") }}
    {%- endif -%}
    trim_scale({{ expression }})
{%- endmacro -%}
