{#-
    The value of top-level key `key` of a JSON object column as text: strings unquoted, other
    values as JSON text; null when the key is absent, JSON null or the empty string (CSV rows
    land an empty cell as "").
-#}
{%- macro json_text(json_column, key) -%}
    nullif({{ json_column }} ->> {{ dbt.string_literal(dbt.escape_single_quotes(key)) }}, '')
{%- endmacro -%}
