{#- True when a JSON array holds only strings (an empty array too). -#}
{%- macro json_array_is_string_array(json_array) -%}
    {{ return(adapter.dispatch('json_array_is_string_array', 'routing_analytics')(json_array)) }}
{%- endmacro -%}

{%- macro default__json_array_is_string_array(json_array) -%}
    {{ exceptions.raise_compiler_error(
        "json_array_is_string_array: not implemented for " ~ adapter.type()
    ) }}
{%- endmacro -%}

{%- macro postgres__json_array_is_string_array(json_array) -%}
    not jsonb_path_exists(
        {{ json_array }}, 'strict $[*] ? (@.type() != "string")', '{}', true
    )
{%- endmacro -%}
