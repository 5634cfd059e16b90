{#-
    The design document's materialized view (4.3). It lives outside the published schema:
    PostgreSQL cannot put row-level security on a materialized view, so tenant readers reach
    it only through the filtering view analytics.daily_tenant_metrics. The unique index lets
    REFRESH MATERIALIZED VIEW CONCURRENTLY run while dashboards read it.
-#}
{{
    config(
        alias='daily_tenant_metrics',
        schema=var('private_published_schema'),
        materialized='materialized_view',
        on_configuration_change='apply',
        indexes=[
            {'columns': ['tenant_id', 'date'], 'unique': true},
        ],
    )
}}

with

fct_task_executions as (
    select
        tenant_id,
        status,
        duration_ms,
        cost_actual,
        savings,
        is_priced,
        timestamp_start
    from {{ ref('fct_task_executions') }}
),

final as (
    select
        tenant_id,
        cast(timestamp_start as date) as date,
        count(*) filter (where status = 'completed') as tasks_count,
        sum(cost_actual) filter (where status = 'completed') as total_cost,
        sum(savings) filter (where status = 'completed') as total_savings,
        avg(duration_ms) filter (where status = 'completed') as avg_duration,
        count(*) as all_tasks_count,
        count(*) filter (where not is_priced) as unpriced_tasks_count,
        sum(cost_actual) filter (where status <> 'completed') as other_status_cost
    from fct_task_executions
    group by tenant_id, cast(timestamp_start as date)
)

select * from final
