{#-
    True when the keys of a JSON object are exactly `keys` (every one present, no other);
    order does not matter. Raises on a non-object.
-#}
{%- macro json_object_keys_are(json_object, keys) -%}
    {%- if json_object is none or (json_object | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error("json_object_keys_are: json_object is required") }}
    {%- endif -%}
    {%- if keys is string or keys is not iterable or keys | length == 0 -%}
        {{ exceptions.raise_compiler_error("json_object_keys_are: keys must be a non-empty list") }}
    {%- endif -%}
    (
        select
            coalesce(
                array_agg(json_key.key_value order by json_key.key_value collate "C"),
                '{}'
            )
        from jsonb_object_keys({{ json_object }}) as json_key (key_value)
    ) = array[
        {%- for key in keys | unique | sort -%}
            {{ dbt.string_literal(key) }}{{ ", " if not loop.last }}
        {%- endfor -%}
    ]::text[]
{%- endmacro -%}
