{#- A regular expression (or any text) as a quoted SQL string literal. -#}
{%- macro sql_pattern_literal(pattern) -%}
    {%- if pattern is not string or pattern | length == 0 -%}
        {{ exceptions.raise_compiler_error("sql_pattern_literal: pattern must be a non-empty string") }}
    {%- endif -%}
    {{- dbt.string_literal(dbt.escape_single_quotes(pattern)) -}}
{%- endmacro -%}
