{#-
    True when every element of a JSON array of strings is a value of `allowed_query` (a
    one-column select); true for an empty array.
-#}
{%- macro json_array_elements_in(json_array, allowed_query) -%}
    {{ return(adapter.dispatch('json_array_elements_in', 'routing_analytics')(
        json_array, allowed_query
    )) }}
{%- endmacro -%}

{%- macro default__json_array_elements_in(json_array, allowed_query) -%}
    {{ exceptions.raise_compiler_error(
        "json_array_elements_in: not implemented for " ~ adapter.type()
    ) }}
{%- endmacro -%}

{%- macro postgres__json_array_elements_in(json_array, allowed_query) -%}
    not exists (
        select 1
        from jsonb_array_elements_text({{ json_array }}) as json_element (element_value)
        where json_element.element_value not in ({{ allowed_query }})
    )
{%- endmacro -%}
