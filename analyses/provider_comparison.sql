-- Design document 7.2: which provider is fastest, cheapest and most reliable for the tenant
-- over the last 7 days (completed tasks, as the design's query), from task_executions.
with

task_executions as (
    select
        tenant_id,
        provider_used,
        status,
        duration_ms,
        cost_actual
    from {{ ref('task_executions') }}
    where
        tenant_id = current_setting('app.tenant_id', true)
        and timestamp_start >= {{ dbt.dateadd('day', -7, dbt.current_timestamp()) }}
),

final as (
    select
        provider_used as provider,
        count(*) filter (where status = 'completed') as tasks_completed,
        floor(avg(duration_ms) filter (where status = 'completed')) as avg_duration_ms,
        {{ floor_to_places('avg(cost_actual) filter (where status = \'completed\')', 4) }}
            as avg_cost_usd,
        {{ floor_to_places(
            safe_divide("100.0 * count(*) filter (where status = 'completed')", 'count(*)'), 2
        ) }} as success_rate
    from task_executions
    group by provider_used
    order by tasks_completed desc
)

select * from final
