{{
    config(
        alias='customer_roi_snapshots',
        indexes=[
            {'columns': ['tenant_id', 'snapshot_date'], 'unique': true},
            {'columns': ['snapshot_date']},
        ],
        post_hook="{{ create_roi_calculator() }}",
    )
}}

{%- set window_days = 30 %}

with

fct_task_executions as (
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
        created_at
    from {{ ref('fct_task_executions') }}
),

stg_router__tenants as (
    select
        tenant_id,
        default_provider_key
    from {{ ref('stg_router__tenants') }}
),

tasks_dated as (
    select
        executions.tenant_id,
        executions.provider_used,
        executions.task_type,
        executions.duration_ms,
        executions.cost_actual,
        executions.cost_baseline,
        executions.savings,
        executions.created_at,
        cast(executions.timestamp_start as date) as activity_date,
        executions.status = 'completed' as is_completed,
        executions.status = 'completed' and executions.is_priced as is_completed_priced,
        coalesce(executions.provider_used = tenants.default_provider_key, false)
            as is_on_default_provider,
        tenants.default_provider_key is not null as has_default_provider
    from fct_task_executions as executions
    left join stg_router__tenants as tenants
        on executions.tenant_id = tenants.tenant_id
),

-- Daily figures first; the 30-day windows then add up at most 60 small rows per day.
days_aggregated as (
    select
        tenant_id,
        activity_date,
        count(*) filter (where is_completed) as tasks_completed,
        count(*) filter (where is_completed_priced) as tasks_completed_priced,
        count(*) filter (where cost_actual is null) as unpriced_tasks,
        sum(cost_actual) filter (where is_completed_priced) as cost_usd,
        sum(cost_baseline) filter (where is_completed_priced) as baseline_usd,
        sum(savings) filter (where is_completed_priced) as savings_usd,
        sum(cost_actual) filter (where not is_completed) as other_status_cost_usd,
        sum(duration_ms) filter (where is_completed) as duration_sum_ms,
        count(duration_ms) filter (where is_completed) as durations_counted,
        max(created_at) as created_at
    from tasks_dated
    group by tenant_id, activity_date
),

provider_days_aggregated as (
    select
        tenant_id,
        provider_used,
        activity_date,
        count(*) filter (where is_completed) as tasks_completed,
        count(*) filter (where is_completed_priced) as tasks_completed_priced,
        sum(cost_actual) filter (where is_completed_priced) as cost_usd
    from tasks_dated
    group by tenant_id, provider_used, activity_date
),

task_type_days_aggregated as (
    select
        tenant_id,
        task_type,
        activity_date,
        sum(duration_ms) filter (where is_completed) as duration_sum_ms,
        count(duration_ms) filter (where is_completed) as durations_counted,
        sum(duration_ms) filter (where is_completed and is_on_default_provider)
            as default_duration_sum_ms,
        count(duration_ms) filter (where is_completed and is_on_default_provider)
            as default_durations_counted
    from tasks_dated
    where has_default_provider
    group by tenant_id, task_type, activity_date
),

-- Every day from a tenant's first task to the newest task day of the warehouse.
tenant_ranges as (
    select
        tenant_id,
        min(activity_date) as first_date,
        max(max(activity_date)) over () as last_date
    from days_aggregated
    group by tenant_id
),

snapshot_days as (
    select
        tenant_ranges.tenant_id,
        {{ date_series('tenant_ranges.first_date', 'tenant_ranges.last_date') }}
            as snapshot_date
    from tenant_ranges
),

-- The window of a snapshot: the 30 days ending with snapshot_date; the previous window: the
-- 30 days before it.
current_windows as (
    select
        snapshot_days.tenant_id,
        snapshot_days.snapshot_date,
        sum(daily.tasks_completed) as tasks_completed,
        sum(daily.unpriced_tasks) as unpriced_tasks,
        sum(daily.cost_usd) as cost_usd,
        sum(daily.baseline_usd) as baseline_usd,
        sum(daily.savings_usd) as savings_usd,
        sum(daily.other_status_cost_usd) as other_status_cost_usd,
        sum(daily.duration_sum_ms) as duration_sum_ms,
        sum(daily.durations_counted) as durations_counted,
        max(daily.created_at) as created_at
    from snapshot_days
    inner join days_aggregated as daily
        on
            snapshot_days.tenant_id = daily.tenant_id
            and snapshot_days.snapshot_date >= daily.activity_date
            and snapshot_days.snapshot_date - {{ window_days }} < daily.activity_date
    group by snapshot_days.tenant_id, snapshot_days.snapshot_date
),

previous_windows as (
    select
        snapshot_days.tenant_id,
        snapshot_days.snapshot_date,
        sum(daily.tasks_completed_priced) as tasks_completed_priced,
        sum(daily.cost_usd) as cost_usd,
        sum(daily.savings_usd) as savings_usd
    from snapshot_days
    inner join days_aggregated as daily
        on
            snapshot_days.tenant_id = daily.tenant_id
            and snapshot_days.snapshot_date - {{ window_days }} >= daily.activity_date
            and snapshot_days.snapshot_date - {{ 2 * window_days }} < daily.activity_date
    group by snapshot_days.tenant_id, snapshot_days.snapshot_date
),

provider_windows as (
    select
        snapshot_days.tenant_id,
        snapshot_days.snapshot_date,
        provider_days.provider_used,
        sum(provider_days.tasks_completed) as tasks_completed,
        sum(provider_days.tasks_completed_priced) as tasks_completed_priced,
        sum(provider_days.cost_usd) as cost_usd
    from snapshot_days
    inner join provider_days_aggregated as provider_days
        on
            snapshot_days.tenant_id = provider_days.tenant_id
            and snapshot_days.snapshot_date >= provider_days.activity_date
            and snapshot_days.snapshot_date - {{ window_days }} < provider_days.activity_date
    group by snapshot_days.tenant_id, snapshot_days.snapshot_date, provider_days.provider_used
),

providers_shared as (
    select
        provider_windows.tenant_id,
        provider_windows.snapshot_date,
        {{ json_object_agg_pairs(
            'provider_windows.provider_used',
            floor_to_places(
                safe_divide('100.0 * provider_windows.tasks_completed', 'current_windows.tasks_completed'),
                2
            )
        ) }} as provider_usage_distribution
    from provider_windows
    inner join current_windows
        on
            provider_windows.tenant_id = current_windows.tenant_id
            and provider_windows.snapshot_date = current_windows.snapshot_date
    where provider_windows.tasks_completed > 0
    group by provider_windows.tenant_id, provider_windows.snapshot_date
),

-- Lowest exact cost per completed priced task, among providers with enough such tasks.
providers_ranked as (
    select
        tenant_id,
        snapshot_date,
        provider_used,
        row_number() over (
            partition by tenant_id, snapshot_date
            order by cost_usd / tasks_completed_priced asc, provider_used asc
        ) as efficiency_rank
    from provider_windows
    where tasks_completed_priced >= {{ var('min_tasks_for_efficiency') }}
),

task_type_windows as (
    select
        snapshot_days.tenant_id,
        snapshot_days.snapshot_date,
        task_type_days.task_type,
        sum(task_type_days.duration_sum_ms) as duration_sum_ms,
        sum(task_type_days.durations_counted) as durations_counted,
        sum(task_type_days.default_duration_sum_ms) as default_duration_sum_ms,
        sum(task_type_days.default_durations_counted) as default_durations_counted
    from snapshot_days
    inner join task_type_days_aggregated as task_type_days
        on
            snapshot_days.tenant_id = task_type_days.tenant_id
            and snapshot_days.snapshot_date >= task_type_days.activity_date
            and snapshot_days.snapshot_date - {{ window_days }} < task_type_days.activity_date
    group by snapshot_days.tenant_id, snapshot_days.snapshot_date, task_type_days.task_type
),

-- Time the tenant's completed tasks took against what the same tasks would have taken at
-- the default provider's average for their type (types with enough default-provider tasks).
productivity_measured as (
    select
        tenant_id,
        snapshot_date,
        sum(duration_sum_ms) as routed_duration_ms,
        sum(
            durations_counted
            * {{ safe_divide('default_duration_sum_ms', 'default_durations_counted') }}
        ) as default_duration_ms
    from task_type_windows
    where default_durations_counted >= {{ var('min_tasks_for_productivity') }}
    group by tenant_id, snapshot_date
),

windows_joined as (
    select
        current_windows.tenant_id,
        current_windows.snapshot_date,
        efficient.provider_used as most_efficient_provider,
        shared.provider_usage_distribution,
        current_windows.tasks_completed,
        current_windows.unpriced_tasks,
        current_windows.cost_usd,
        current_windows.baseline_usd,
        current_windows.savings_usd,
        current_windows.other_status_cost_usd,
        current_windows.duration_sum_ms,
        current_windows.durations_counted,
        previous_windows.cost_usd as previous_cost_usd,
        previous_windows.savings_usd as previous_savings_usd,
        productivity.routed_duration_ms,
        productivity.default_duration_ms,
        current_windows.created_at,
        coalesce(previous_windows.tasks_completed_priced, 0) > 0 as has_previous_window
    from current_windows
    left join previous_windows
        on
            current_windows.tenant_id = previous_windows.tenant_id
            and current_windows.snapshot_date = previous_windows.snapshot_date
    left join providers_ranked as efficient
        on
            current_windows.tenant_id = efficient.tenant_id
            and current_windows.snapshot_date = efficient.snapshot_date
            and efficient.efficiency_rank = 1
    left join providers_shared as shared
        on
            current_windows.tenant_id = shared.tenant_id
            and current_windows.snapshot_date = shared.snapshot_date
    left join productivity_measured as productivity
        on
            current_windows.tenant_id = productivity.tenant_id
            and current_windows.snapshot_date = productivity.snapshot_date
),

final as (
    select
        {{ surrogate_key(['tenant_id', 'snapshot_date']) }} as id,
        tenant_id,
        snapshot_date,
        most_efficient_provider,
        cast(tasks_completed as bigint) as tasks_completed_30d,
        cast(unpriced_tasks as bigint) as unpriced_tasks_30d,
        cost_usd as total_cost_30d_exact_usd,
        baseline_usd as total_baseline_30d_exact_usd,
        savings_usd as total_savings_30d_exact_usd,
        other_status_cost_usd as other_status_cost_30d_exact_usd,
        created_at,
        coalesce(
            provider_usage_distribution, cast('{}' as {{ dbt.type_string() }})::jsonb
        ) as provider_usage_distribution,
        {{ floor_to_places('coalesce(cost_usd, 0)', 2) }} as total_cost_30d,
        {{ floor_to_places('coalesce(baseline_usd, 0)', 2) }} as total_baseline_30d,
        {{ conservative_savings('coalesce(savings_usd, 0)', 'coalesce(baseline_usd, 0)') }}
            as total_savings_30d,
        {{ conservative_savings_percentage(
            'coalesce(savings_usd, 0)', 'coalesce(baseline_usd, 0)'
        ) }} as savings_percentage_30d,
        cast(floor({{ safe_divide('duration_sum_ms', 'durations_counted') }}) as bigint)
            as avg_task_duration_30d,
        {{ floor_to_places(
            '100 * (1 - ' ~ safe_divide('routed_duration_ms', 'default_duration_ms') ~ ')', 0
        ) }} as productivity_gain_30d,
        {{ trend_direction('cost_usd', 'previous_cost_usd', 'has_previous_window') }}
            as cost_trend,
        {{ trend_direction('savings_usd', 'previous_savings_usd', 'has_previous_window') }}
            as savings_trend
    from windows_joined
)

select * from final
