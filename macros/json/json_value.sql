{#- The value of top-level key `key` of a JSON object column, as JSON (null when absent). -#}
{%- macro json_value(json_column, key) -%}
    {{ json_column }} -> {{ dbt.string_literal(dbt.escape_single_quotes(key)) }}
{%- endmacro -%}
