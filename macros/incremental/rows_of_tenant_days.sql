{#-
    The rows of `relation` (a relation or CTE with tenant_id) whose `timestamp_column` lies
    in one of the UTC days of `tenant_days` (a relation or CTE of distinct (tenant_id,
    activity_date) pairs): each pair is read on its own, by the index on (tenant_id,
    timestamp), so that the cost follows the days read, not the size of `relation`. With a
    plain join PostgreSQL may read the whole relation instead, and does whenever it cannot
    tell how few pairs there are (a CTE, a day series). A select, for the body of a CTE.
-#}
{%- macro rows_of_tenant_days(tenant_days, relation, timestamp_column) -%}
    select rows_of_day.*
    from {{ tenant_days }} as tenant_days
    cross join lateral (
        select day_rows.*
        from {{ relation }} as day_rows
        where
            day_rows.tenant_id = tenant_days.tenant_id
            and {{ in_utc_day('day_rows.' ~ timestamp_column, 'tenant_days.activity_date') }}
        {{ optimization_fence() }}
    ) as rows_of_day
{%- endmacro -%}
