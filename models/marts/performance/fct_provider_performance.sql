{{
    config(
        alias='provider_performance',
        indexes=[
            {'columns': ['provider', 'period_start']},
            {'columns': ['tenant_id', 'period_start']},
            {'columns': ['id'], 'unique': true},
        ],
    )
}}

{%- set levels = [
    ('hourly', 'hour'),
    ('daily', 'day'),
    ('weekly', 'week'),
    ('monthly', 'month'),
] %}

with

fct_task_executions as (
    select
        tenant_id,
        provider_used,
        status,
        duration_ms,
        tokens_used,
        cost_actual,
        quality_score,
        is_priced,
        timestamp_start,
        created_at
    from {{ ref('fct_task_executions') }}
),

-- Every task once per aggregation level, in the period (UTC) that contains its start.
tasks_bucketed as (
    {%- for level, datepart in levels %}
    select
        '{{ level }}' as aggregation_level,
        tenant_id,
        provider_used,
        status,
        duration_ms,
        tokens_used,
        cost_actual,
        quality_score,
        is_priced,
        created_at,
        {{ dbt.date_trunc(datepart, 'timestamp_start') }} as period_start,
        {{ dbt.dateadd(datepart, 1, dbt.date_trunc(datepart, 'timestamp_start')) }}
            as period_end
    from fct_task_executions
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- Per tenant and across tenants in one pass; percentiles straight from the tasks of each
-- period, never from smaller periods. Durations: completed tasks (a timeout's duration is
-- the timeout, not the provider's speed).
periods_aggregated as (
    select
        aggregation_level,
        provider_used,
        tenant_id,
        period_start,
        period_end,
        grouping(tenant_id) = 1 as is_global,
        count(*) as total_executions,
        count(*) filter (where status = 'completed') as successful_executions,
        count(*) filter (where status <> 'completed') as failed_executions,
        count(*) filter (where status = 'timeout') as timeout_executions,
        count(*) filter (where status = 'cancelled') as cancelled_executions,
        count(*) filter (where is_priced) as priced_executions,
        count(distinct tenant_id) as contributing_tenants,
        floor(avg(duration_ms) filter (where status = 'completed')) as avg_duration_ms,
        {{ percentile_disc(0.5, 'duration_ms', "status = 'completed'") }} as p50_duration_ms,
        {{ percentile_disc(0.95, 'duration_ms', "status = 'completed'") }} as p95_duration_ms,
        {{ percentile_disc(0.99, 'duration_ms', "status = 'completed'") }} as p99_duration_ms,
        floor(avg(tokens_used)) as avg_tokens_per_task,
        avg(cost_actual) as avg_cost_per_task,
        avg(quality_score) as avg_quality_score,
        max(created_at) as created_at
    from tasks_bucketed
    group by grouping sets (
        (aggregation_level, provider_used, period_start, period_end, tenant_id),
        (aggregation_level, provider_used, period_start, period_end)
    )
),

-- A global row only from enough tenants that no tenant's figures can be read off it.
global_rows_filtered as (
    select *
    from periods_aggregated
    where
        not is_global
        or contributing_tenants >= {{ var('min_tenants_for_global_metrics') }}
),

final as (
    select
        {{ surrogate_key([
            'aggregation_level',
            'provider_used',
            'tenant_id',
            timestamp_diff_ms("cast('1970-01-01 00:00:00+00' as timestamp with time zone)",
                'period_start'),
        ]) }} as id,
        provider_used as provider,
        tenant_id,
        aggregation_level,
        total_executions,
        successful_executions,
        failed_executions,
        timeout_executions,
        cancelled_executions,
        priced_executions,
        contributing_tenants,
        p50_duration_ms,
        p95_duration_ms,
        p99_duration_ms,
        period_start,
        period_end,
        created_at,
        {{ floor_to_places(safe_divide('100.0 * successful_executions', 'total_executions'), 2) }}
            as success_rate,
        cast(avg_duration_ms as bigint) as avg_duration_ms,
        cast(avg_tokens_per_task as bigint) as avg_tokens_per_task,
        {{ trim_numeric_scale('avg_cost_per_task') }} as avg_cost_per_task,
        {{ floor_to_places('avg_quality_score', 2) }} as avg_quality_score
    from global_rows_filtered
)

select * from final
