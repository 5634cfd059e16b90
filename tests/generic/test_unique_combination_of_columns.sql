{#-
    Fails once per combination of `combination_of_columns` that occurs on more than one row.
    Nulls count as equal values (a null in a key column is a duplicate of another null), so
    pair it with not_null tests where a key column must be set.
-#}
{%- test unique_combination_of_columns(model, combination_of_columns) -%}
    {%- if combination_of_columns is string or combination_of_columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "unique_combination_of_columns: combination_of_columns must be a non-empty list"
        ) }}
    {%- endif -%}
    select
        {%- for column in combination_of_columns %}
        {{ column }},
        {%- endfor %}
        count(*) as rows_with_this_combination
    from {{ model }}
    group by
        {%- for column in combination_of_columns %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    having count(*) > 1
{%- endtest -%}
