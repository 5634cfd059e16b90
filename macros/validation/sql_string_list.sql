{#- A list of strings as a comma-separated list of quoted SQL literals, for `in (...)`. -#}
{%- macro sql_string_list(values) -%}
    {%- if values is string or values | length == 0 -%}
        {{ exceptions.raise_compiler_error("sql_string_list: values must be a non-empty list") }}
    {%- endif -%}
    {%- for value in values -%}
        {{ dbt.string_literal(dbt.escape_single_quotes(value | string)) }}{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro -%}
