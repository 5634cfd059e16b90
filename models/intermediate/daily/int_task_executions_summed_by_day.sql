{#-
    Incremental with replace_changed_days: each build re-sums the unsealed (tenant, day)
    pairs whose tasks changed (macros/incremental/replace_changed_days.sql) and keeps the
    others, so that customer_roi_snapshots rolls its 30-day windows over these few rows per
    day instead of reading 60 days of tasks. Days before detail_kept_from() are read by no
    one (their snapshots are sealed) and stay as they were.
-#}
-- The days a build finds changed (is_incremental) are counted in:
-- depends_on: {{ ref('int_task_executions_counted_by_day') }}
{%- set first_open_date = first_unsealed_period('date') -%}
{#- How this model's own rows give a tenant's day (macro tenant_days_changed). -#}
{%- set changed_days = {
    'row_date': 'date',
    'tasks_counted': 'sum(started_tasks)',
} -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_changed_days',
        changed_days=changed_days,
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['tenant_id', 'date']},
        ],
    )
}}

with

task_executions as (
    select
        tenant_id,
        provider_used,
        task_type,
        status,
        duration_ms,
        cost_actual,
        cost_baseline,
        savings,
        is_priced,
        timestamp_start,
        created_at,
        _inputs_staged_at
    from {{ ref('task_executions') }}
    -- Older tasks belong to sealed days only.
    where timestamp_start >= {{ first_open_date }}
),

{% if is_incremental() %}

-- Only the tasks of the days whose tasks changed since the last build.
{{ task_executions_of_changed_days(changed_days) }}

{% endif %}

tasks_classified as (
    select
        tenant_id,
        provider_used,
        task_type,
        duration_ms,
        cost_actual,
        cost_baseline,
        savings,
        created_at,
        _inputs_staged_at,
        {{ utc_date('timestamp_start') }} as activity_date,
        status = 'completed' as is_completed,
        status = 'completed' and is_priced as is_completed_priced,
        status <> 'completed' and is_priced as is_other_status_priced,
        status = 'completed' and duration_ms is not null as is_completed_timed,
        not is_priced as is_unpriced
    from {{ 'task_executions_of_changed_days' if is_incremental() else 'task_executions' }}
),

final as (
    select
        tenant_id,
        activity_date as date,
        provider_used,
        task_type,
        count(*) as started_tasks,
        sum(case when is_completed then 1 else 0 end) as completed_tasks,
        sum(case when is_completed_priced then 1 else 0 end) as completed_priced_tasks,
        sum(case when is_unpriced then 1 else 0 end) as unpriced_tasks,
        sum(case when is_completed_priced then cost_actual end) as completed_cost_usd,
        sum(case when is_completed_priced then cost_baseline end) as completed_baseline_usd,
        sum(case when is_completed_priced then savings end) as completed_savings_usd,
        sum(case when is_other_status_priced then cost_actual end) as other_status_cost_usd,
        sum(case when is_completed_timed then 1 else 0 end) as completed_timed_tasks,
        sum(case when is_completed_timed then duration_ms end) as completed_duration_ms,
        max(created_at) as created_at,
        max(_inputs_staged_at) as _inputs_staged_at
    from tasks_classified
    group by tenant_id, activity_date, provider_used, task_type
)

select * from final
