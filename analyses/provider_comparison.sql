-- Design document 7.2: which provider is fastest, cheapest and most reliable for the tenant
-- over the last 7 days (completed tasks, as the design's query). The whole hours of the
-- window come from the exact hourly sums of provider_performance, only the part of an hour
-- at its start from task_executions: the design's figures, at the cost of a few hundred
-- rows however many tasks the tenant runs.
with

window_started as (
    select {{ dbt.dateadd('day', -7, dbt.current_timestamp()) }} as window_start_at
),

-- The first whole UTC hour of the window (provider_performance's hours are UTC).
window_bounds as (
    select
        window_start_at,
        case
            when date_trunc('hour', window_start_at, 'UTC') = window_start_at
                then window_start_at
            else date_trunc('hour', window_start_at, 'UTC') + interval '1 hour'
        end as whole_hours_from_at
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
        and aggregation_level = 'hourly'
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

whole_hours as (
    select
        provider_performance.provider,
        provider_performance.total_executions,
        provider_performance.successful_executions,
        provider_performance.timed_executions,
        provider_performance.total_completed_duration_ms,
        provider_performance.completed_priced_executions,
        provider_performance.completed_cost_exact_usd
    from provider_performance
    cross join window_bounds
    where provider_performance.period_start >= window_bounds.whole_hours_from_at
),

window_unioned as (
    select * from first_hour_summed
    union all
    select * from whole_hours
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
