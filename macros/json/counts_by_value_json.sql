{#-
    A JSON object with one key per value of `values` (every one present, 0 when no row has
    it) and the number of rows of the group whose `column` equals it (an aggregate); with
    `column` none, the same object with every count 0 (a constant, for days without rows).
-#}
{%- macro counts_by_value_json(column, values) -%}
    {%- if values is string or values is not iterable or values | length == 0 -%}
        {{ exceptions.raise_compiler_error("counts_by_value_json: values must be a non-empty list") }}
    {%- endif -%}
    jsonb_build_object(
        {%- for value in values %}
        {{ dbt.string_literal(value) }},
        {% if column is none -%}
            0
        {%- else -%}
            count(*) filter (where {{ column }} = {{ dbt.string_literal(value) }})
        {%- endif %}
        {{- "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro -%}
