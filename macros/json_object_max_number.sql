{#-
    The largest value of a JSON object whose values are JSON numbers (as
    stg_router__routing_decisions.cost_estimates), as numeric with every digit kept; values
    that are not JSON numbers are ignored; null for {} or when no value is a number. Raises
    on a non-object: guard it with a case when the column may hold another JSON type.
-#}
{%- macro json_object_max_number(json_object) -%}
    {%- if json_object is none or (json_object | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error("json_object_max_number: json_object is required") }}
    {%- endif -%}
    {{ return(adapter.dispatch('json_object_max_number', 'routing_analytics')(json_object)) }}
{%- endmacro -%}

{%- macro default__json_object_max_number(json_object) -%}
    {{ exceptions.raise_compiler_error(
        "json_object_max_number: not implemented for " ~ adapter.type()
    ) }}
{%- endmacro -%}

{%- macro postgres__json_object_max_number(json_object) -%}
    (
        select max((json_entry.value)::numeric)
        from jsonb_each({{ json_object }}) as json_entry
        where jsonb_typeof(json_entry.value) = 'number'
    )
{%- endmacro -%}
