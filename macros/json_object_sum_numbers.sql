{#-
    The sum of the values of a JSON object whose values are JSON numbers (as
    usage_analytics.tasks_by_type), as numeric with every digit kept; values that are not
    JSON numbers are ignored; null for {} or when no value is a number. Raises on a
    non-object.
-#}
{%- macro json_object_sum_numbers(json_object) -%}
    {%- if json_object is none or (json_object | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error("json_object_sum_numbers: json_object is required") }}
    {%- endif -%}
    {{ return(adapter.dispatch('json_object_sum_numbers', 'routing_analytics')(json_object)) }}
{%- endmacro -%}

{%- macro default__json_object_sum_numbers(json_object) -%}
    {{ exceptions.raise_compiler_error(
        "json_object_sum_numbers: not implemented for " ~ adapter.type()
    ) }}
{%- endmacro -%}

{%- macro postgres__json_object_sum_numbers(json_object) -%}
    (
        select sum((json_entry.value)::numeric)
        from jsonb_each({{ json_object }}) as json_entry
        where jsonb_typeof(json_entry.value) = 'number'
    )
{%- endmacro -%}
