-- Design document 7.2: which provider is fastest, cheapest and most reliable for the tenant
-- over the last 7 days (completed tasks, as the design's query). The whole days of the
-- window come from the exact daily sums of provider_performance, the whole hours before
-- the first of them from its hourly sums, and only the part of an hour at its start from
-- task_executions: the design's figures, from about 30 rows per provider however many
-- tasks the tenant runs.
with

window_started as (
    select {{ dbt.dateadd('day', -7, dbt.current_timestamp()) }} as window_start_at
),

-- The first whole UTC hour and the first whole UTC day of the window (provider_performance's
-- periods are UTC): the window's start itself when it falls on one.
window_bounds as (
    select
        window_start_at,
        case
            when date_trunc('hour', window_start_at, 'UTC') = window_start_at
                then window_start_at
            else date_trunc('hour', window_start_at, 'UTC') + interval '1 hour'
        end as whole_hours_from_at,
        case
            when date_trunc('day', window_start_at, 'UTC') = window_start_at
                then window_start_at
            else date_trunc('day', window_start_at, 'UTC') + interval '1 day'
        end as whole_days_from_at
    from window_started
),

provider_performance as (
    select
        tenant_id,
        provider,
        aggregation_level,
        period_start,
        total_executions,
        successful_executions,
        timed_executions,
        total_completed_duration_ms,
        completed_priced_executions,
        completed_cost_exact_usd
    from {{ ref('provider_performance') }}
    where
        tenant_id = current_setting('app.tenant_id', true)
        and aggregation_level in ('hourly', 'daily')
),

task_executions as (
    select
        tenant_id,
        provider_used,
        status,
        duration_ms,
        cost_actual,
        timestamp_start
    from {{ ref('task_executions') }}
    where tenant_id = current_setting('app.tenant_id', true)
),

first_hour_summed as (
    select
        task_executions.provider_used as provider,
        count(*) as total_executions,
        count(*) filter (where task_executions.status = 'completed') as successful_executions,
        count(task_executions.duration_ms) filter (
            where task_executions.status = 'completed'
        ) as timed_executions,
        sum(task_executions.duration_ms) filter (
            where task_executions.status = 'completed'
        ) as total_completed_duration_ms,
        count(task_executions.cost_actual) filter (
            where task_executions.status = 'completed'
        ) as completed_priced_executions,
        sum(task_executions.cost_actual) filter (
            where task_executions.status = 'completed'
        ) as completed_cost_exact_usd
    from task_executions
    cross join window_bounds
    where
        task_executions.timestamp_start >= window_bounds.window_start_at
        and task_executions.timestamp_start < window_bounds.whole_hours_from_at
    group by task_executions.provider_used
),

-- The bounds as parameters (scalar subqueries): the index on the tenant and the period then
-- reads just the rows of the window.
whole_periods as (
    select
        provider,
        total_executions,
        successful_executions,
        timed_executions,
        total_completed_duration_ms,
        completed_priced_executions,
        completed_cost_exact_usd
    from provider_performance
    where
        period_start >= (select window_bounds.whole_hours_from_at from window_bounds)
        and (
            (
                aggregation_level = 'hourly'
                and period_start < (select window_bounds.whole_days_from_at from window_bounds)
            )
            or (
                aggregation_level = 'daily'
                and period_start >= (select window_bounds.whole_days_from_at from window_bounds)
            )
        )
),

window_unioned as (
    select * from first_hour_summed
    union all
    select * from whole_periods
),

providers_summed as (
    select
        provider,
        sum(total_executions) as total_executions,
        sum(successful_executions) as tasks_completed,
        sum(timed_executions) as timed_executions,
        sum(total_completed_duration_ms) as total_completed_duration_ms,
        sum(completed_priced_executions) as completed_priced_executions,
        sum(completed_cost_exact_usd) as completed_cost_exact_usd
    from window_unioned
    group by provider
),

final as (
    select
        provider,
        cast(tasks_completed as bigint) as tasks_completed,
        floor({{ safe_divide('total_completed_duration_ms', 'timed_executions') }})
            as avg_duration_ms,
        {{ floor_to_places(
            safe_divide('completed_cost_exact_usd', 'completed_priced_executions'), 4
        ) }} as avg_cost_usd,
        {{ floor_to_places(
            safe_divide('100.0 * tasks_completed', 'total_executions'), 2
        ) }} as success_rate
    from providers_summed
    order by tasks_completed desc
)

select * from final
