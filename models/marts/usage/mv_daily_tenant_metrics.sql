{#-
    The design document's materialized view (4.3), refreshable with
    REFRESH MATERIALIZED VIEW CONCURRENTLY (it needs the unique index below). It lives in
    var('private_published_schema'): PostgreSQL cannot put row-level security on a
    materialized view, so readers reach it only through the self-filtering view
    analytics.daily_tenant_metrics (daily_tenant_metrics.sql). Days are UTC days whatever
    the time zone of the session that refreshes it (utc_date). It reads usage_analytics,
    which holds the same day figures and keeps them when retention deletes the tasks.
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

fct_tenant_usage_daily as (
    select
        tenant_id,
        date,
        tasks_created,
        completed_tasks,
        completed_timed_tasks,
        completed_duration_ms,
        completed_cost_exact_usd,
        completed_savings_exact_usd,
        other_status_cost_exact_usd,
        unpriced_tasks
    from {{ ref('fct_tenant_usage_daily') }}
),

-- avg_duration is avg(duration_ms) of the day's completed tasks, exactly as avg() gives it.
durations_averaged as (
    select
        *,
        completed_duration_ms / nullif(completed_timed_tasks, 0) as avg_duration
    from fct_tenant_usage_daily
    where tasks_created > 0
),

-- The days with tasks.
final as (
    select
        tenant_id,
        date,
        completed_tasks as completed_tasks_count,
        completed_cost_exact_usd as completed_cost_usd,
        completed_savings_exact_usd as completed_savings_usd,
        avg_duration,
        tasks_created as all_tasks_count,
        unpriced_tasks as unpriced_tasks_count,
        other_status_cost_exact_usd as other_status_cost
    from durations_averaged
)

select * from final
