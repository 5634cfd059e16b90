{#-
    Tenant-facing face of the materialized view analytics_private.daily_tenant_metrics. It
    runs as its owner (it must read the materialized view, which cannot carry row-level
    security), so it filters itself, failing closed: a tenant reader sees its own rows and
    nothing without app.tenant_id; members of the analyst or owner role see every tenant.
    security_barrier keeps a caller's functions from seeing rows before the filter.
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
        tasks_count,
        total_cost,
        total_savings,
        avg_duration,
        all_tasks_count,
        unpriced_tasks_count,
        other_status_cost
    from {{ ref('mv_daily_tenant_metrics') }}
),

final as (
    select *
    from mv_daily_tenant_metrics
    where
        tenant_id = nullif(current_setting('app.tenant_id', true), '')
        or pg_has_role(current_user, '{{ var("analyst_role") }}', 'usage')
        or pg_has_role(current_user, '{{ var("owner_role") }}', 'usage')
)

select * from final
