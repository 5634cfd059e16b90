{#- The value of top-level key `key` of a JSON object column, as JSON (null when absent). -#}
{%- macro json_value(json_column, key) -%}
    {{ return(adapter.dispatch('json_value', 'routing_analytics')(json_column, key)) }}
{%- endmacro -%}

{%- macro default__json_value(json_column, key) -%}
    {{ exceptions.raise_compiler_error("json_value: not implemented for " ~ adapter.type()) }}
{%- endmacro -%}

{%- macro postgres__json_value(json_column, key) -%}
    {{ json_column }} -> {{ dbt.string_literal(dbt.escape_single_quotes(key)) }}
{%- endmacro -%}
