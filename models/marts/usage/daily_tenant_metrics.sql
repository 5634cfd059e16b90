{#-
    The published face of the materialized view mv_daily_tenant_metrics. It runs as its
    owner (it must read the materialized view, which cannot carry row-level security), so
    it filters itself and fails closed (macro reader_may_see_tenant): a tenant reader sees
    its own rows only and nothing without app.tenant_id; members of the analyst or owner
    role see every tenant. security_barrier keeps a caller's functions from seeing rows
    before the filter has run.
-#}
{{
    config(
        alias='daily_tenant_metrics',
        materialized='view',
        post_hook="alter view {{ this }} set (security_barrier = true)",
    )
}}

with

mv_daily_tenant_metrics as (
    select
        tenant_id,
        date,
        completed_tasks_count,
        completed_cost_usd,
        completed_savings_usd,
        avg_duration,
        all_tasks_count,
        unpriced_tasks_count,
        other_status_cost
    from {{ ref('mv_daily_tenant_metrics') }}
),

final as (
    select
        tenant_id,
        date,
        completed_tasks_count,
        completed_cost_usd,
        completed_savings_usd,
        avg_duration,
        all_tasks_count,
        unpriced_tasks_count,
        other_status_cost
    from mv_daily_tenant_metrics
    where {{ reader_may_see_tenant('tenant_id') }}
)

select * from final
