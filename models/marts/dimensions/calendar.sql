{#-
    A fixed range (vars calendar_first_date, calendar_last_date), not one taken from the
    data or the clock: the same rows on every build, and no tenant's first day readable off
    a relation every reader sees.
-#}
{%- set month_names = [
    'January', 'February', 'March', 'April', 'May', 'June',
    'July', 'August', 'September', 'October', 'November', 'December',
] -%}
{%- set weekday_names = [
    'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday',
] -%}
{{
    config(
        indexes=[{'columns': ['calendar_date'], 'unique': true}],
    )
}}

with

days_generated as (
    select
        {{ date_series(
            "cast('" ~ var('calendar_first_date') ~ "' as date)",
            "cast('" ~ var('calendar_last_date') ~ "' as date)",
        ) }} as calendar_date
),

parts_extracted as (
    select
        calendar_date,
        cast({{ dbt.date_trunc('week', 'calendar_date') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'calendar_date') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('quarter', 'calendar_date') }} as date) as quarter_start_date,
        {{ date_part_number('year', 'calendar_date') }} as calendar_year,
        {{ date_part_number('quarter', 'calendar_date') }} as quarter_of_year,
        {{ date_part_number('month', 'calendar_date') }} as month_of_year,
        {{ date_part_number('day', 'calendar_date') }} as day_of_month,
        {{ date_part_number('doy', 'calendar_date') }} as day_of_year,
        -- The ISO week belongs to the year of its Thursday (1 January can be in week 52 or 53).
        {{ date_part_number('isoyear', 'calendar_date') }} as iso_year,
        {{ date_part_number('week', 'calendar_date') }} as iso_week,
        {{ date_part_number('isodow', 'calendar_date') }} as iso_weekday
    from days_generated
),

final as (
    select
        calendar_date,
        week_start_date,
        month_start_date,
        quarter_start_date,
        calendar_year,
        quarter_of_year,
        month_of_year,
        case month_of_year
            {%- for name in month_names %}
            when {{ loop.index }} then '{{ name }}'
            {%- endfor %}
        end as month_name,
        day_of_month,
        day_of_year,
        iso_year,
        iso_week,
        iso_weekday,
        case iso_weekday
            {%- for name in weekday_names %}
            when {{ loop.index }} then '{{ name }}'
            {%- endfor %}
        end as weekday_name,
        iso_weekday >= 6 as is_weekend
    from parts_extracted
)

select * from final
