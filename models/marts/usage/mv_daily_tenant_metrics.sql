{#-
    The design document's materialized view (4.3), refreshable with
    REFRESH MATERIALIZED VIEW CONCURRENTLY (it needs the unique index below). It lives in
    var('private_published_schema'): PostgreSQL cannot put row-level security on a
    materialized view, so readers reach it only through the self-filtering view
    analytics.daily_tenant_metrics (daily_tenant_metrics.sql). Days are UTC days whatever
    the time zone of the session that refreshes it (utc_date).
    full_refresh=true: every dbt build re-creates it from the current SQL. Without it, dbt
    only runs `refresh materialized view` on an existing one and never notices that the
    query changed (it compares the indexes only), so an edited definition would silently
    never reach a database built before the edit. Re-creating it drops the view over it
    (cascade); forget_dropped_dependents tells dbt's relation cache, so that the view model
    re-creates it in the same run.
-#}
{{
    config(
        alias='daily_tenant_metrics',
        schema=var('private_published_schema'),
        materialized='materialized_view',
        full_refresh=true,
        post_hook="{{ forget_dropped_dependents(this) }}",
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
        {{ utc_date('timestamp_start') }} as date,
        count(*) filter (where status = 'completed') as tasks_count,
        sum(cost_actual) filter (where status = 'completed') as total_cost,
        sum(savings) filter (where status = 'completed') as total_savings,
        avg(duration_ms) filter (where status = 'completed') as avg_duration,
        count(*) as all_tasks_count,
        count(*) filter (where not is_priced) as unpriced_tasks_count,
        sum(cost_actual) filter (where status <> 'completed') as other_status_cost
    from fct_task_executions
    group by tenant_id, {{ utc_date('timestamp_start') }}
)

select * from final
