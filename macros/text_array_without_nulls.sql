{#-
    A text array of the given SQL expressions, in order, without the ones that are null.
    Used to collect the rejection reason codes of a row (one expression per rule).
-#}
{%- macro text_array_without_nulls(expressions) -%}
    {%- if expressions is string or expressions | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "text_array_without_nulls: expressions must be a non-empty list of SQL expressions"
        ) }}
    {%- endif -%}
    {{ return(adapter.dispatch('text_array_without_nulls', 'routing_analytics')(expressions)) }}
{%- endmacro -%}

{%- macro default__text_array_without_nulls(expressions) -%}
    {{ exceptions.raise_compiler_error(
        "text_array_without_nulls: not implemented for " ~ adapter.type()
    ) }}
{%- endmacro -%}

{%- macro postgres__text_array_without_nulls(expressions) -%}
    array_remove(
        cast(array[
            {%- for expression in expressions %}
            {{ expression }}{{ "," if not loop.last }}
            {%- endfor %}
        ] as text []),
        null
    )
{%- endmacro -%}
