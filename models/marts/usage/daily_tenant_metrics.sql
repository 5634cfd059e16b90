{#-
    The design document's daily_tenant_metrics (4.3), as a table with row-level security
    instead of a materialized view: PostgreSQL cannot put row-level security on a
    materialized view, and the self-filtering view that published one showed other tenants'
    row counts in EXPLAIN ANALYZE (issue 10). Rebuilt by every build from usage_analytics,
    which holds the same day figures and keeps them when retention deletes the tasks, so it
    is as fresh as the other marts and needs no refresh of its own.
-#}
{{
    config(
        materialized='table',
        indexes=[
            {'columns': ['tenant_id', 'date'], 'unique': true},
        ],
    )
}}

with

usage_analytics as (
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
    from {{ ref('usage_analytics') }}
),

-- avg_duration is avg(duration_ms) of the day's completed tasks, exactly as avg() gives it.
durations_averaged as (
    select
        *,
        completed_duration_ms / nullif(completed_timed_tasks, 0) as avg_duration
    from usage_analytics
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
