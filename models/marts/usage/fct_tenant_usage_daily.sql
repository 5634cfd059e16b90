{{
    config(
        alias='usage_analytics',
        indexes=[
            {'columns': ['tenant_id', 'date'], 'unique': true},
            {'columns': ['date']},
        ],
    )
}}

with

fct_task_executions as (
    select
        tenant_id,
        task_type,
        status,
        cost_actual,
        cost_baseline,
        savings,
        is_priced,
        timestamp_start,
        created_at
    from {{ ref('fct_task_executions') }}
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

-- Dates are UTC days (dbt sessions run in UTC).
tasks_aggregated as (
    select
        tenant_id,
        cast(timestamp_start as date) as activity_date,
        count(*) as tasks_created,
        count(*) filter (where not is_priced) as unpriced_tasks,
        {{ counts_by_value_json('task_type', var('router_task_types')) }} as tasks_by_type,
        sum(cost_actual) as total_cost_exact_usd,
        sum(cost_baseline) filter (where status = 'completed') as completed_baseline_exact_usd,
        sum(savings) filter (where status = 'completed') as completed_savings_exact_usd,
        max(created_at) as created_at
    from fct_task_executions
    group by tenant_id, cast(timestamp_start as date)
),

users_first_seen as (
    select
        tenant_id,
        user_id,
        min(cast(occurred_at as date)) as first_seen_date
    from stg_router__usage_events
    where user_id is not null
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

events_aggregated as (
    select
        tenant_id,
        cast(occurred_at as date) as activity_date,
        count(distinct user_id) as active_users,
        count(*) filter (where event_type = 'api_call') as api_calls_made,
        count(*) filter (where event_type = 'dashboard_view') as dashboard_views,
        max(_loaded_at) as created_at
    from stg_router__usage_events
    group by tenant_id, cast(occurred_at as date)
),

activity_dates as (
    select
        tenant_id,
        activity_date
    from tasks_aggregated
    union all
    select
        tenant_id,
        activity_date
    from events_aggregated
),

-- Every day from a tenant's first activity to the newest day of any tenant's data.
tenant_ranges as (
    select
        tenant_id,
        min(activity_date) as first_date,
        max(max(activity_date)) over () as last_date
    from activity_dates
    group by tenant_id
),

tenant_days as (
    select
        tenant_ranges.tenant_id,
        {{ date_series('tenant_ranges.first_date', 'tenant_ranges.last_date') }} as activity_date
    from tenant_ranges
),

days_joined as (
    select
        tenant_days.tenant_id,
        tenant_days.activity_date,
        day_tasks.tasks_by_type,
        day_tasks.total_cost_exact_usd,
        day_tasks.completed_baseline_exact_usd,
        day_tasks.completed_savings_exact_usd,
        coalesce(events.active_users, 0) as active_users,
        coalesce(new_users.new_users, 0) as new_users,
        coalesce(day_tasks.tasks_created, 0) as tasks_created,
        coalesce(events.api_calls_made, 0) as api_calls_made,
        coalesce(events.dashboard_views, 0) as dashboard_views,
        coalesce(day_tasks.unpriced_tasks, 0) as unpriced_tasks,
        greatest(day_tasks.created_at, events.created_at) as created_at
    from tenant_days
    left join tasks_aggregated as day_tasks
        on
            tenant_days.tenant_id = day_tasks.tenant_id
            and tenant_days.activity_date = day_tasks.activity_date
    left join events_aggregated as events
        on
            tenant_days.tenant_id = events.tenant_id
            and tenant_days.activity_date = events.activity_date
    left join new_users_counted as new_users
        on
            tenant_days.tenant_id = new_users.tenant_id
            and tenant_days.activity_date = new_users.activity_date
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
        unpriced_tasks,
        total_cost_exact_usd,
        completed_baseline_exact_usd,
        completed_savings_exact_usd,
        created_at,
        coalesce(
            tasks_by_type,
            {{ counts_by_value_json(none, var('router_task_types')) }}
        ) as tasks_by_type,
        {{ floor_to_places('coalesce(total_cost_exact_usd, 0)', 2) }} as total_cost,
        {{ conservative_savings(
            'coalesce(completed_savings_exact_usd, 0)', 'coalesce(completed_baseline_exact_usd, 0)'
        ) }} as total_savings
    from days_joined
)

select * from final
