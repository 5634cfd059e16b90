{#- An empty JSON object literal ({}), of the engine's JSON type. Dispatched. -#}
{%- macro json_empty_object() -%}
    {{ return(adapter.dispatch('json_empty_object', 'routing_analytics')()) }}
{%- endmacro -%}

{%- macro default__json_empty_object() -%}
    {{ exceptions.raise_compiler_error("json_empty_object: not implemented for this adapter") }}
{%- endmacro -%}

{%- macro postgres__json_empty_object() -%}
    cast('{}' as jsonb)
{%- endmacro -%}
