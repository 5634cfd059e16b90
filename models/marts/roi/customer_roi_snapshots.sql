{#-
    Incremental with replace_changed_snapshots: a snapshot reads its day and the 59 before
    (the current and the previous 30-day windows); each run rebuilds only the unsealed
    snapshots whose 60 days of tasks changed, or that the spine gained
    (macros/incremental/roi_snapshots_changed.sql), reading the day sums of those tenants'
    tasks (int_task_executions_summed_by_day) from 59 days before their first changed
    snapshot. Snapshots before 59 days after detail_kept_from() are sealed and kept as they
    are, because retention has deleted tasks they were computed from. Never rebuilt from
    scratch (full_refresh false): that would lose the sealed snapshots.
-#}
-- The days a build finds changed (is_incremental) are counted in:
-- depends_on: {{ ref('int_task_executions_counted_by_day') }}
{%- set first_open_date = first_unsealed_period('date') -%}
{%- set first_open_snapshot_date = first_unsealed_period('date', days_read_before=59) -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_changed_snapshots',
        full_refresh=false,
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['tenant_id', 'snapshot_date'], 'unique': true},
        ],
        post_hook="{{ create_roi_calculator() }}",
    )
}}

with

{% if is_incremental() -%}
snapshots_changed as (
    select
        changed.tenant_id,
        changed.activity_date as snapshot_date
    from ({{ roi_snapshots_changed() }}) as changed
    where changed.is_expected
),

-- A changed snapshot reads its day and the 59 before.
tenants_changed as (
    select
        tenant_id,
        min(snapshot_date) - 59 as first_read_date
    from snapshots_changed
    group by tenant_id
),

{% endif -%}
task_days as (
    select
        tenant_id,
        provider_used,
        task_type,
        date as task_date,
        started_tasks,
        completed_tasks,
        completed_priced_tasks,
        unpriced_tasks,
        completed_cost_usd,
        completed_baseline_usd,
        completed_savings_usd,
        other_status_cost_usd,
        completed_timed_tasks,
        completed_duration_ms,
        created_at,
        _inputs_staged_at
    from {{ ref('int_task_executions_summed_by_day') }}
    -- Older days are read by sealed snapshots only.
    where date >= {{ first_open_date }}
),

stg_router__tenants as (
    select
        tenant_id,
        default_provider_key
    from {{ ref('stg_router__tenants') }}
),

-- The days the snapshots to build read: one small row per tenant, day, provider and task
-- type, already summed from the tasks (int_task_executions_summed_by_day).
task_days_read as (
    select task_days.*
    from task_days
    {% if is_incremental() -%}
    inner join tenants_changed
        on
            task_days.tenant_id = tenants_changed.tenant_id
            and task_days.task_date >= tenants_changed.first_read_date
    {% endif -%}
),

-- Per day: per tenant, per tenant and provider, per tenant and task type (sums of exact
-- sums); the 30-day windows then roll over at most one small row per day.
tenant_days_aggregated as (
    select
        tenant_id,
        task_date,
        sum(completed_tasks) as completed_tasks,
        sum(completed_priced_tasks) as completed_priced_tasks,
        sum(unpriced_tasks) as unpriced_tasks,
        sum(completed_cost_usd) as cost_usd,
        sum(completed_baseline_usd) as baseline_usd,
        sum(completed_savings_usd) as savings_usd,
        sum(other_status_cost_usd) as other_status_cost_usd,
        sum(completed_timed_tasks) as timed_tasks,
        sum(completed_duration_ms) as duration_ms,
        sum(started_tasks) as started_tasks,
        max(created_at) as created_at,
        max(_inputs_staged_at) as newest_input
    from task_days_read
    group by tenant_id, task_date
),

provider_days_aggregated as (
    select
        tenant_id,
        provider_used,
        task_date,
        sum(completed_tasks) as completed_tasks,
        sum(completed_priced_tasks) as completed_priced_tasks,
        sum(completed_cost_usd) as cost_usd
    from task_days_read
    group by tenant_id, provider_used, task_date
),

-- Whether a row's tasks ran on the tenant's default provider depends on its provider only.
task_type_days_aggregated as (
    select
        task_days.tenant_id,
        task_days.task_type,
        task_days.task_date,
        sum(task_days.completed_timed_tasks) as timed_tasks,
        sum(task_days.completed_duration_ms) as duration_ms,
        sum(
            case
                when task_days.provider_used = tenants.default_provider_key
                    then task_days.completed_timed_tasks
                else 0
            end
        ) as default_timed_tasks,
        sum(
            case
                when task_days.provider_used = tenants.default_provider_key
                    then task_days.completed_duration_ms
            end
        ) as default_duration_ms
    from task_days_read as task_days
    inner join stg_router__tenants as tenants
        on task_days.tenant_id = tenants.tenant_id
    where tenants.default_provider_key is not null
    group by task_days.tenant_id, task_days.task_type, task_days.task_date
),

-- The day spine: every day from a tenant's first task to the newest task day of the
-- warehouse, so a quiet day (or month) still gets its row. A run's spine covers the days
-- its changed snapshots read (days before them without a task add nothing to a window).
task_dates_unioned as (
    select
        tenant_id,
        task_date
    from tenant_days_aggregated
    {%- if is_incremental() %}
    union all
    select
        tenant_id,
        snapshot_date as task_date
    from snapshots_changed
    {%- endif %}
),

tenant_date_ranges as (
    select
        tenant_id,
        min(task_date) as first_date,
        max(max(task_date)) over () as last_date
    from task_dates_unioned
    group by tenant_id
),

snapshot_days as (
    select
        tenant_id,
        {{ date_series('first_date', 'last_date') }} as snapshot_date
    from tenant_date_ranges
),

tenant_providers as (
    select distinct
        tenant_id,
        provider_used
    from provider_days_aggregated
),

tenant_task_types as (
    select distinct
        tenant_id,
        task_type
    from task_type_days_aggregated
),

tenant_days_filled as (
    select
        snapshot_days.tenant_id,
        snapshot_days.snapshot_date,
        day_totals.cost_usd,
        day_totals.baseline_usd,
        day_totals.savings_usd,
        day_totals.other_status_cost_usd,
        day_totals.duration_ms,
        day_totals.created_at,
        day_totals.newest_input,
        coalesce(day_totals.started_tasks, 0) as started_tasks,
        coalesce(day_totals.completed_tasks, 0) as completed_tasks,
        coalesce(day_totals.completed_priced_tasks, 0) as completed_priced_tasks,
        coalesce(day_totals.unpriced_tasks, 0) as unpriced_tasks,
        coalesce(day_totals.timed_tasks, 0) as timed_tasks
    from snapshot_days
    left join tenant_days_aggregated as day_totals
        on
            snapshot_days.tenant_id = day_totals.tenant_id
            and snapshot_days.snapshot_date = day_totals.task_date
),

provider_days_filled as (
    select
        snapshot_days.tenant_id,
        tenant_providers.provider_used,
        snapshot_days.snapshot_date,
        day_totals.cost_usd,
        coalesce(day_totals.completed_tasks, 0) as completed_tasks,
        coalesce(day_totals.completed_priced_tasks, 0) as completed_priced_tasks
    from snapshot_days
    inner join tenant_providers
        on snapshot_days.tenant_id = tenant_providers.tenant_id
    left join provider_days_aggregated as day_totals
        on
            tenant_providers.tenant_id = day_totals.tenant_id
            and tenant_providers.provider_used = day_totals.provider_used
            and snapshot_days.snapshot_date = day_totals.task_date
),

task_type_days_filled as (
    select
        snapshot_days.tenant_id,
        tenant_task_types.task_type,
        snapshot_days.snapshot_date,
        day_totals.duration_ms,
        day_totals.default_duration_ms,
        coalesce(day_totals.timed_tasks, 0) as timed_tasks,
        coalesce(day_totals.default_timed_tasks, 0) as default_timed_tasks
    from snapshot_days
    inner join tenant_task_types
        on snapshot_days.tenant_id = tenant_task_types.tenant_id
    left join task_type_days_aggregated as day_totals
        on
            tenant_task_types.tenant_id = day_totals.tenant_id
            and tenant_task_types.task_type = day_totals.task_type
            and snapshot_days.snapshot_date = day_totals.task_date
),

-- Windows over the dense spine (one row per day): the 30 days ending with snapshot_date
-- (rows 29 preceding .. current), the 30 days before them (rows 59 .. 30 preceding).
tenant_windows as (
    select
        tenant_id,
        snapshot_date,
        sum(completed_tasks) over current_window as completed_tasks,
        sum(unpriced_tasks) over current_window as unpriced_tasks,
        sum(cost_usd) over current_window as cost_usd,
        sum(baseline_usd) over current_window as baseline_usd,
        sum(savings_usd) over current_window as savings_usd,
        sum(other_status_cost_usd) over current_window as other_status_cost_usd,
        sum(timed_tasks) over current_window as timed_tasks,
        sum(duration_ms) over current_window as duration_ms,
        sum(completed_priced_tasks) over previous_window as previous_completed_priced_tasks,
        sum(cost_usd) over previous_window as previous_cost_usd,
        sum(savings_usd) over previous_window as previous_savings_usd,
        sum(started_tasks) over both_windows as window_tasks,
        max(created_at) over both_windows as created_at,
        max(newest_input) over both_windows as newest_input
    from tenant_days_filled
    window
        current_window as (
            partition by tenant_id order by snapshot_date
            rows between 29 preceding and current row
        ),
        previous_window as (
            partition by tenant_id order by snapshot_date
            rows between 59 preceding and 30 preceding
        ),
        both_windows as (
            partition by tenant_id order by snapshot_date
            rows between 59 preceding and current row
        )
),

provider_windows as (
    select
        tenant_id,
        provider_used,
        snapshot_date,
        sum(completed_tasks) over current_window as completed_tasks,
        sum(completed_priced_tasks) over current_window as completed_priced_tasks,
        sum(cost_usd) over current_window as cost_usd
    from provider_days_filled
    window current_window as (
        partition by tenant_id, provider_used order by snapshot_date
        rows between 29 preceding and current row
    )
),

task_type_windows as (
    select
        tenant_id,
        task_type,
        snapshot_date,
        sum(timed_tasks) over current_window as timed_tasks,
        sum(duration_ms) over current_window as duration_ms,
        sum(default_timed_tasks) over current_window as default_timed_tasks,
        sum(default_duration_ms) over current_window as default_duration_ms
    from task_type_days_filled
    window current_window as (
        partition by tenant_id, task_type order by snapshot_date
        rows between 29 preceding and current row
    )
),

-- Share of the window's completed tasks per provider, each floored to 0.01 %.
provider_shares as (
    select
        provider_windows.tenant_id,
        provider_windows.snapshot_date,
        jsonb_object_agg(
            provider_windows.provider_used,
            {{ floor_quotient(
                '100 * provider_windows.completed_tasks', 'tenant_windows.completed_tasks', 2
            ) }}
            order by provider_windows.provider_used
        ) filter (where provider_windows.provider_used is not null)
            as provider_usage_distribution
    from provider_windows
    inner join tenant_windows
        on
            provider_windows.tenant_id = tenant_windows.tenant_id
            and provider_windows.snapshot_date = tenant_windows.snapshot_date
    where provider_windows.completed_tasks > 0
    group by provider_windows.tenant_id, provider_windows.snapshot_date
),

providers_eligible as (
    select
        tenant_id,
        provider_used,
        snapshot_date,
        completed_priced_tasks,
        cost_usd
    from provider_windows
    where completed_priced_tasks >= {{ var('min_tasks_for_efficiency', 30) }}
),

-- The most efficient provider has no eligible rival with a lower cost per task, nor one
-- with the same cost per task and an alphabetically earlier name. The costs per task are
-- compared by cross-multiplying (exact), not as rounded quotients.
providers_outranked as (
    select
        candidates.tenant_id,
        candidates.provider_used,
        candidates.snapshot_date,
        count(rivals.provider_used) as rivals_ahead
    from providers_eligible as candidates
    left join providers_eligible as rivals
        on
            candidates.tenant_id = rivals.tenant_id
            and candidates.snapshot_date = rivals.snapshot_date
            and (
                candidates.cost_usd * rivals.completed_priced_tasks
                > rivals.cost_usd * candidates.completed_priced_tasks
                or (
                    candidates.cost_usd * rivals.completed_priced_tasks
                    = rivals.cost_usd * candidates.completed_priced_tasks
                    and candidates.provider_used > rivals.provider_used
                )
            )
    group by candidates.tenant_id, candidates.provider_used, candidates.snapshot_date
),

most_efficient_providers as (
    select
        tenant_id,
        snapshot_date,
        provider_used as most_efficient_provider
    from providers_outranked
    where rivals_ahead = 0
),

-- Per qualifying task type t: the tenant's time (sum of its completed tasks' durations)
-- and the time the same number of tasks takes at the default provider's average for t,
-- n_t * sum_default_t / count_default_t, floored to 1e-6 ms (never overstated, so the gain
-- is never overstated either).
task_types_measured as (
    select
        tenant_id,
        snapshot_date,
        duration_ms as routed_duration_ms,
        {{ floor_quotient(
            'timed_tasks * default_duration_ms', 'default_timed_tasks', 6
        ) }} as default_pace_duration_ms
    from task_type_windows
    where default_timed_tasks >= {{ var('min_tasks_for_productivity', 30) }}
),

productivity_measured as (
    select
        tenant_id,
        snapshot_date,
        sum(routed_duration_ms) as routed_duration_ms,
        sum(default_pace_duration_ms) as default_pace_duration_ms
    from task_types_measured
    group by tenant_id, snapshot_date
),

windows_joined as (
    select
        tenant_windows.tenant_id,
        tenant_windows.snapshot_date,
        efficient.most_efficient_provider,
        usage_shares.provider_usage_distribution,
        tenant_windows.cost_usd,
        tenant_windows.baseline_usd,
        tenant_windows.savings_usd,
        tenant_windows.other_status_cost_usd,
        tenant_windows.previous_cost_usd,
        tenant_windows.previous_savings_usd,
        tenant_windows.completed_tasks,
        tenant_windows.unpriced_tasks,
        tenant_windows.timed_tasks,
        tenant_windows.duration_ms,
        productivity.routed_duration_ms,
        productivity.default_pace_duration_ms,
        tenant_windows.window_tasks,
        tenant_windows.created_at,
        tenant_windows.newest_input,
        coalesce(tenant_windows.previous_completed_priced_tasks, 0) > 0 as has_previous_window
    from tenant_windows
    {% if is_incremental() -%}
    inner join snapshots_changed
        on
            tenant_windows.tenant_id = snapshots_changed.tenant_id
            and tenant_windows.snapshot_date = snapshots_changed.snapshot_date
    {% endif -%}
    left join most_efficient_providers as efficient
        on
            tenant_windows.tenant_id = efficient.tenant_id
            and tenant_windows.snapshot_date = efficient.snapshot_date
    left join provider_shares as usage_shares
        on
            tenant_windows.tenant_id = usage_shares.tenant_id
            and tenant_windows.snapshot_date = usage_shares.snapshot_date
    left join productivity_measured as productivity
        on
            tenant_windows.tenant_id = productivity.tenant_id
            and tenant_windows.snapshot_date = productivity.snapshot_date
),

final as (
    select
        {{ surrogate_key([
            'tenant_id',
            dbt.datediff("cast('1970-01-01' as date)", 'snapshot_date', 'day'),
        ]) }} as id,
        tenant_id,
        snapshot_date,
        {{ floor_to_places('coalesce(cost_usd, 0)', 2) }} as total_cost_30d,
        {{ floor_to_places('coalesce(baseline_usd, 0)', 2) }} as total_baseline_30d,
        {{ conservative_savings('coalesce(savings_usd, 0)', 'coalesce(baseline_usd, 0)') }}
            as total_savings_30d,
        {{ conservative_savings_percentage(
            'coalesce(savings_usd, 0)', 'coalesce(baseline_usd, 0)'
        ) }} as savings_percentage_30d,
        cost_usd as total_cost_30d_exact_usd,
        baseline_usd as total_baseline_30d_exact_usd,
        savings_usd as total_savings_30d_exact_usd,
        other_status_cost_usd as other_status_cost_30d_exact_usd,
        cast(completed_tasks as bigint) as tasks_completed_30d,
        cast(unpriced_tasks as bigint) as unpriced_tasks_30d,
        cast({{ floor_quotient('duration_ms', 'timed_tasks') }} as bigint)
            as avg_task_duration_30d,
        {{ floor_quotient(
            '100 * (default_pace_duration_ms - routed_duration_ms)', 'default_pace_duration_ms'
        ) }} as productivity_gain_30d,
        coalesce(provider_usage_distribution, cast('{}' as jsonb))
            as provider_usage_distribution,
        most_efficient_provider,
        {{ trend_direction('cost_usd', 'previous_cost_usd', 'has_previous_window') }}
            as cost_trend,
        {{ trend_direction('savings_usd', 'previous_savings_usd', 'has_previous_window') }}
            as savings_trend,
        created_at,
        cast(window_tasks as bigint) as window_tasks_60d,
        newest_input as _inputs_staged_at
    from windows_joined
    where snapshot_date >= {{ first_open_snapshot_date }}
)

select * from final
