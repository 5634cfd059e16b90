-- Design document 7.1, "You saved $X this month": the tenant's conservative savings on the
-- completed tasks of the current calendar month (UTC), from the exact day sums of
-- usage_analytics (one row per day, however many tasks). Run with the dashboard's tenant
-- context (set app.tenant_id); row-level security scopes it, the filter says so too.
with

usage_analytics as (
    select
        tenant_id,
        date,
        completed_baseline_exact_usd,
        completed_savings_exact_usd
    from {{ ref('usage_analytics') }}
    where
        tenant_id = current_setting('app.tenant_id', true)
        and date >= cast({{ dbt.date_trunc('month', dbt.current_timestamp()) }} as date)
),

totals as (
    select
        coalesce(sum(completed_savings_exact_usd), 0) as savings_exact_usd,
        coalesce(sum(completed_baseline_exact_usd), 0) as baseline_exact_usd
    from usage_analytics
),

final as (
    select
        savings_exact_usd,
        {{ conservative_savings('savings_exact_usd', 'baseline_exact_usd') }} as savings_usd,
        {{ conservative_savings_percentage('savings_exact_usd', 'baseline_exact_usd') }}
            as savings_percentage
    from totals
)

select * from final
