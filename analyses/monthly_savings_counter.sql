-- Design document 7.1, "You saved $X this month": the tenant's conservative savings on the
-- completed tasks of the current calendar month (UTC). Run with the dashboard's tenant
-- context (set app.tenant_id); row-level security scopes it, the filter says so too.
with

task_executions as (
    select
        tenant_id,
        status,
        cost_baseline,
        savings,
        is_in_savings,
        timestamp_start
    from {{ ref('task_executions') }}
    where
        tenant_id = current_setting('app.tenant_id', true)
        and status = 'completed'
        and is_in_savings
        and timestamp_start >= {{ dbt.date_trunc('month', dbt.current_timestamp()) }}
),

totals as (
    select
        coalesce(sum(savings), 0) as savings_exact_usd,
        coalesce(sum(cost_baseline), 0) as baseline_exact_usd
    from task_executions
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
