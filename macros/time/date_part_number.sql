{#-
    A part of a date or timestamp as an integer: part is one of year, isoyear, quarter, month,
    week (the ISO week), day, doy (day of the year) or isodow (1 Monday ... 7 Sunday).
-#}
{%- macro date_part_number(part, expression) -%}
    {%- set parts = ['year', 'isoyear', 'quarter', 'month', 'week', 'day', 'doy', 'isodow'] -%}
    {%- if part not in parts -%}
        {{ exceptions.raise_compiler_error(
            "date_part_number: part must be one of " ~ parts | join(', ') ~ ", got " ~ part
        ) }}
    {%- endif -%}
    cast(extract({{ part }} from {{ expression }}) as integer)
{%- endmacro -%}
