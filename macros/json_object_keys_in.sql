{#-
    True when every key of a JSON object is a value of `allowed_query` (a one-column select);
    true for an empty object.
-#}
{%- macro json_object_keys_in(json_object, allowed_query) -%}
    {{ return(adapter.dispatch('json_object_keys_in', 'routing_analytics')(
        json_object, allowed_query
    )) }}
{%- endmacro -%}

{%- macro default__json_object_keys_in(json_object, allowed_query) -%}
    {{ exceptions.raise_compiler_error(
        "json_object_keys_in: not implemented for " ~ adapter.type()
    ) }}
{%- endmacro -%}

{%- macro postgres__json_object_keys_in(json_object, allowed_query) -%}
    not exists (
        select 1
        from jsonb_object_keys({{ json_object }}) as json_key (key_value)
        where json_key.key_value not in ({{ allowed_query }})
    )
{%- endmacro -%}
