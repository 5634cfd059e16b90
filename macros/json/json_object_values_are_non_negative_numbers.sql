{#-
    True when every value of a JSON object is a JSON number >= 0 (true for an empty object);
    null for a non-object. Pair it with json_object_values_to_numbers to accept decimal
    strings too.
-#}
{%- macro json_object_values_are_non_negative_numbers(json_object) -%}
    not jsonb_path_exists(
        {{ json_object }}, 'strict $.* ? (@.type() != "number" || @ < 0)', '{}', true
    )
{%- endmacro -%}
