{#-
    Incremental with replace_unsealed: each run rebuilds every day from detail_kept_from() on
    (all days while retention never ran) and keeps the sealed days before it as they are,
    because retention has deleted their detail. Never rebuilt from scratch (full_refresh
    false): that would lose the sealed days.
-#}
{%- set first_open_date = first_unsealed_period('date') -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_unsealed',
        sealing={'period_column': 'date', 'period_type': 'date'},
        full_refresh=false,
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['tenant_id', 'date'], 'unique': true},
        ],
    )
}}

with

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
        created_at
    from {{ ref('task_executions') }}
),

stg_router__usage_events as (
    select
        tenant_id,
        user_id,
        event_type,
        occurred_at,
        _loaded_at
    from {{ ref('stg_router__usage_events') }}
),

stg_retention__usage_users_seen as (
    select
        tenant_id,
        user_id,
        first_seen_date
    from {{ ref('stg_retention__usage_users_seen') }}
),

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
        max(created_at) as created_at
    from task_executions
    group by tenant_id, {{ utc_date('timestamp_start') }}
),

events_aggregated as (
    select
        tenant_id,
        {{ utc_date('occurred_at') }} as activity_date,
        count(distinct user_id) as active_users,
        count(*) filter (where event_type = 'api_call') as api_calls_made,
        count(*) filter (where event_type = 'dashboard_view') as dashboard_views,
        max(_loaded_at) as created_at
    from stg_router__usage_events
    group by tenant_id, {{ utc_date('occurred_at') }}
),

-- The events still held, and the first days of the events retention deleted.
user_days_unioned as (
    select
        tenant_id,
        user_id,
        {{ utc_date('occurred_at') }} as seen_date
    from stg_router__usage_events
    where user_id is not null
    union all
    select
        tenant_id,
        user_id,
        first_seen_date as seen_date
    from stg_retention__usage_users_seen
),

-- A user is new to a tenant on the day of their first event with that tenant, ever.
users_first_seen as (
    select
        tenant_id,
        user_id,
        min(seen_date) as first_seen_date
    from user_days_unioned
    group by tenant_id, user_id
),

new_users_counted as (
    select
        tenant_id,
        first_seen_date as activity_date,
        count(*) as new_users
    from users_first_seen
    group by tenant_id, first_seen_date
),

activity_dates_unioned as (
    select
        tenant_id,
        activity_date
    from tasks_aggregated
    union all
    select
        tenant_id,
        activity_date
    from events_aggregated
    {%- if is_incremental() %}
    -- A tenant's sealed days keep its spine starting where it always started.
    union all
    select
        tenant_id,
        min(date) as activity_date
    from {{ this }}
    where date < {{ first_open_date }}
    group by tenant_id
    {%- endif %}
),

-- The newest day with any data in the warehouse (from the data, never from the clock).
warehouse_last_date as (
    select max(activity_date) as last_date
    from activity_dates_unioned
),

tenant_first_dates as (
    select
        tenant_id,
        min(activity_date) as first_date
    from activity_dates_unioned
    group by tenant_id
),

-- Every day from the tenant's first activity to the warehouse's newest day.
tenant_days_spined as (
    select
        tenant_first_dates.tenant_id,
        {{ date_series('tenant_first_dates.first_date', 'warehouse_last_date.last_date') }}
            as activity_date
    from tenant_first_dates
    cross join warehouse_last_date
),

days_joined as (
    select
        tenant_days_spined.tenant_id,
        tenant_days_spined.activity_date,
        day_tasks.tasks_by_type,
        day_tasks.completed_duration_ms,
        day_tasks.total_cost_exact_usd,
        day_tasks.completed_cost_exact_usd,
        day_tasks.other_status_cost_exact_usd,
        day_tasks.completed_baseline_exact_usd,
        day_tasks.completed_savings_exact_usd,
        coalesce(day_events.active_users, 0) as active_users,
        coalesce(day_new_users.new_users, 0) as new_users,
        coalesce(day_tasks.tasks_created, 0) as tasks_created,
        coalesce(day_tasks.completed_tasks, 0) as completed_tasks,
        coalesce(day_tasks.completed_optimized_tasks, 0) as completed_optimized_tasks,
        coalesce(day_tasks.completed_timed_tasks, 0) as completed_timed_tasks,
        coalesce(day_events.api_calls_made, 0) as api_calls_made,
        coalesce(day_events.dashboard_views, 0) as dashboard_views,
        coalesce(day_tasks.unpriced_tasks, 0) as unpriced_tasks,
        greatest(day_tasks.created_at, day_events.created_at) as created_at
    from tenant_days_spined
    left join tasks_aggregated as day_tasks
        on
            tenant_days_spined.tenant_id = day_tasks.tenant_id
            and tenant_days_spined.activity_date = day_tasks.activity_date
    left join events_aggregated as day_events
        on
            tenant_days_spined.tenant_id = day_events.tenant_id
            and tenant_days_spined.activity_date = day_events.activity_date
    left join new_users_counted as day_new_users
        on
            tenant_days_spined.tenant_id = day_new_users.tenant_id
            and tenant_days_spined.activity_date = day_new_users.activity_date
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
        completed_optimized_tasks
    from days_joined
    where activity_date >= {{ first_open_date }}
)

select * from final
