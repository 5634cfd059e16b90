{#-
    The JSON type of top-level key `key` of a JSON object column: 'string', 'number',
    'boolean', 'object', 'array' or 'null'; SQL null when the key is absent.
-#}
{%- macro json_type(json_column, key) -%}
    jsonb_typeof({{ json_column }} -> {{ dbt.string_literal(dbt.escape_single_quotes(key)) }})
{%- endmacro -%}
