{#-
    A set-returning SQL expression of every date from `start_date` to `end_date` (both
    included; SQL date expressions), for a lateral join that builds a day spine per group.
-#}
{%- macro date_series(start_date, end_date) -%}
    cast(generate_series(
        cast({{ start_date }} as date), cast({{ end_date }} as date), interval '1 day'
    ) as date)
{%- endmacro -%}
