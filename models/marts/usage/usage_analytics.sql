{#-
    Incremental with replace_changed_usage_days: each run rebuilds only the unsealed
    (tenant, day) rows whose inputs changed - tasks, usage events, new users, or the spine of
    days (macros/incremental/usage_days_changed.sql) - and keeps the others; sealed days
    (before detail_kept_from()) keep their figures, because retention has deleted their
    detail. Never rebuilt from scratch (full_refresh false): that would lose the sealed days.
-#}
-- What the days to build are found from (macro usage_days_expected):
-- depends_on: {{ ref('int_usage_events_counted_by_day') }}
-- depends_on: {{ ref('int_usage_users_first_seen') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_changed_usage_days',
        full_refresh=false,
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['tenant_id', 'date'], 'unique': true},
        ],
    )
}}

with

-- The days this build writes, with the counts that say what they are built from.
days_to_build as (
    select
        tenant_id,
        activity_date,
        new_users
    from ({{ usage_days_changed() if is_incremental() else usage_days_expected() }}) as usage_days
    {%- if is_incremental() %}
    where is_expected
    {%- endif %}
),

task_executions as (
    select
        tenant_id,
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
),

stg_router__usage_events as (
    select
        tenant_id,
        user_id,
        event_type,
        occurred_at,
        _loaded_at,
        _staged_at
    from {{ ref('stg_router__usage_events') }}
),

{% if is_incremental() %}

-- Only the tasks of the days to build, read by the index on (tenant_id, timestamp_start).
task_executions_of_days_to_build as (
    {{ rows_of_tenant_days('days_to_build', 'task_executions', 'timestamp_start') }}
),

-- Only the events of the days to build, read by the index on (tenant_id, occurred_at).
usage_events_of_days_to_build as (
    {{ rows_of_tenant_days('days_to_build', 'stg_router__usage_events', 'occurred_at') }}
),

{% endif %}

-- Every figure of a day, exact; shown figures are rounded in `final` only.
tasks_aggregated as (
    select
        tenant_id,
        {{ utc_date('timestamp_start') }} as activity_date,
        count(*) as tasks_created,
        count(*) filter (where not is_priced) as unpriced_tasks,
        {{ counts_by_value_json('task_type', var('router_task_types')) }} as tasks_by_type,
        count(*) filter (where status = 'completed') as completed_tasks,
        count(*) filter (where status = 'completed' and is_priced and savings > 0)
            as completed_optimized_tasks,
        count(duration_ms) filter (where status = 'completed') as completed_timed_tasks,
        sum(duration_ms) filter (where status = 'completed') as completed_duration_ms,
        sum(cost_actual) as total_cost_exact_usd,
        sum(cost_actual) filter (where status = 'completed') as completed_cost_exact_usd,
        sum(cost_actual) filter (where status <> 'completed') as other_status_cost_exact_usd,
        sum(cost_baseline) filter (where status = 'completed') as completed_baseline_exact_usd,
        sum(savings) filter (where status = 'completed') as completed_savings_exact_usd,
        max(created_at) as created_at,
        max(_inputs_staged_at) as newest_input
    from {{ 'task_executions_of_days_to_build' if is_incremental() else 'task_executions' }}
    group by tenant_id, {{ utc_date('timestamp_start') }}
),

events_aggregated as (
    select
        tenant_id,
        {{ utc_date('occurred_at') }} as activity_date,
        count(*) as usage_events,
        count(distinct user_id) as active_users,
        count(*) filter (where event_type = 'api_call') as api_calls_made,
        count(*) filter (where event_type = 'dashboard_view') as dashboard_views,
        max(_loaded_at) as created_at,
        max(_staged_at) as newest_input
    from {{ 'usage_events_of_days_to_build' if is_incremental() else 'stg_router__usage_events' }}
    group by tenant_id, {{ utc_date('occurred_at') }}
),

days_joined as (
    select
        days_to_build.tenant_id,
        days_to_build.activity_date,
        days_to_build.new_users,
        day_tasks.tasks_by_type,
        day_tasks.completed_duration_ms,
        day_tasks.total_cost_exact_usd,
        day_tasks.completed_cost_exact_usd,
        day_tasks.other_status_cost_exact_usd,
        day_tasks.completed_baseline_exact_usd,
        day_tasks.completed_savings_exact_usd,
        coalesce(day_events.active_users, 0) as active_users,
        coalesce(day_tasks.tasks_created, 0) as tasks_created,
        coalesce(day_tasks.completed_tasks, 0) as completed_tasks,
        coalesce(day_tasks.completed_optimized_tasks, 0) as completed_optimized_tasks,
        coalesce(day_tasks.completed_timed_tasks, 0) as completed_timed_tasks,
        coalesce(day_events.usage_events, 0) as usage_events,
        coalesce(day_events.api_calls_made, 0) as api_calls_made,
        coalesce(day_events.dashboard_views, 0) as dashboard_views,
        coalesce(day_tasks.unpriced_tasks, 0) as unpriced_tasks,
        greatest(day_tasks.created_at, day_events.created_at) as created_at,
        greatest(day_tasks.newest_input, day_events.newest_input) as newest_input
    from days_to_build
    left join tasks_aggregated as day_tasks
        on
            days_to_build.tenant_id = day_tasks.tenant_id
            and days_to_build.activity_date = day_tasks.activity_date
    left join events_aggregated as day_events
        on
            days_to_build.tenant_id = day_events.tenant_id
            and days_to_build.activity_date = day_events.activity_date
),

final as (
    select
        {{ surrogate_key(['tenant_id', 'activity_date']) }} as id,
        tenant_id,
        activity_date as date,
        active_users,
        new_users,
        tasks_created,
        api_calls_made,
        dashboard_views,
        coalesce(
            tasks_by_type,
            {{ counts_by_value_json(none, var('router_task_types')) }}
        ) as tasks_by_type,
        {{ floor_to_places('coalesce(total_cost_exact_usd, 0)', 2) }} as total_cost,
        {{ conservative_savings(
            'coalesce(completed_savings_exact_usd, 0)',
            'coalesce(completed_baseline_exact_usd, 0)'
        ) }} as total_savings,
        created_at,
        total_cost_exact_usd,
        completed_baseline_exact_usd,
        completed_savings_exact_usd,
        unpriced_tasks,
        completed_tasks,
        completed_cost_exact_usd,
        other_status_cost_exact_usd,
        completed_timed_tasks,
        completed_duration_ms,
        completed_optimized_tasks,
        usage_events,
        newest_input as _inputs_staged_at
    from days_joined
)

select * from final
