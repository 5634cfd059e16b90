-- Design document 7.3: the tenant's daily cost and savings over the last 30 days, from the
-- usage_analytics mart (one row per day, zero-filled; shown figures conservative).
with

usage_analytics as (
    select
        tenant_id,
        date,
        total_cost,
        total_savings
    from {{ ref('usage_analytics') }}
    where
        tenant_id = current_setting('app.tenant_id', true)
        and date >= cast({{ dbt.dateadd('day', -30, dbt.current_timestamp()) }} as date)
),

final as (
    select
        date,
        total_cost,
        total_savings
    from usage_analytics
    order by date
)

select * from final
