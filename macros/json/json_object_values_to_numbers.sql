{#-
    The JSON object with every value turned into a JSON number, every digit kept: a JSON
    number stays as it is, a decimal string (try_cast_numeric) becomes that number, anything
    else becomes JSON null (check with json_object_values_are_non_negative_numbers). Raises
    on a non-object: call it in a `case when <type is object> then ... end`.
-#}
{%- macro json_object_values_to_numbers(json_object) -%}
    (
        select
            coalesce(
                jsonb_object_agg(
                    json_entry.key,
                    case jsonb_typeof(json_entry.value)
                        when 'number' then json_entry.value
                        when 'string'
                            then to_jsonb({{ try_cast_numeric("(json_entry.value #>> '{}')") }})
                        else 'null'::jsonb
                    end
                ),
                '{}'::jsonb
            )
        from jsonb_each({{ json_object }}) as json_entry
    )
{%- endmacro -%}
