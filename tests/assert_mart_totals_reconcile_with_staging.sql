-- Reconciliation of the marts, to the last digit (issue 3, section 6). Returns one row per
-- figure that differs (null = null counts as equal; nothing is rounded):
-- 1. analytics.task_executions against the staged tasks priced through
--    int_task_executions_with_savings: tasks, priced tasks, cost, baseline and savings, per
--    tenant and in total, and no task missing or extra;
-- 2. the aggregate marts against analytics.task_executions, per tenant:
--    usage_analytics (exact cost, completed baseline and savings, tasks, unpriced tasks),
--    daily_tenant_metrics (completed tasks, cost, savings; all tasks, other-status cost),
--    provider_performance (per-tenant executions, successes and priced executions at each
--    aggregation level; a global row equals the sum of its tenants' rows),
--    customer_roi_snapshots (every snapshot's exact 30-day totals and counts).
-- Part 2 covers the periods the marts rebuild from their tasks: once retention has deleted
-- old tasks, the sealed periods before detail_kept_from() keep figures those tasks no longer
-- back (tests/python/test_retention.py proves them unchanged instead).
-- In `routing-analytics run` (ANALYTICS_CHANGED_SINCE set), the check costs as much as the
-- change: the same comparisons over the tenant-days the run can have changed, except that
-- weekly and monthly provider_performance rows are compared with the mart's daily rows and
-- ROI snapshots with usage_analytics' days (each already checked against the tasks), so
-- that a changed day does not read its month of tasks again. `build`, `check`, make test
-- and CI run the whole check.
{%- set first_open_moment = first_unsealed_period('timestamp') %}
{%- set first_open_date = first_unsealed_period('date') %}
{%- set changed_since = run_changed_since() %}
-- depends_on: {{ ref('base_router__task_executions') }}
-- depends_on: {{ ref('stg_router__usage_events') }}
with

-- The mart's aggregation levels, and the periods date_trunc gives each.
aggregation_levels as (
    select
        aggregation_level,
        truncation_unit,
        truncation_unit in ('hour', 'day') as is_within_a_day
    from (
        values ('hourly', 'hour'), ('daily', 'day'), ('weekly', 'week'), ('monthly', 'month')
    ) as levels (aggregation_level, truncation_unit)
),

{% if changed_since is not none -%}
-- The tenant-days the run can have changed: those of its tasks (macro
-- task_days_changed_since) and of the usage events it staged.
tenant_days_changed as (
    {{ task_days_changed_since(changed_since) }}
    union
    select
        tenant_id,
        {{ utc_date('occurred_at') }} as activity_date
    from {{ ref('stg_router__usage_events') }}
    where _staged_at > {{ changed_since }}
),

-- The ROI snapshots whose 30 days hold a changed day.
roi_snapshots_changed as (
    select distinct
        tenant_id,
        {{ date_series('activity_date', 'activity_date + 29') }} as snapshot_date
    from tenant_days_changed
),

{% endif -%}

stg_router__task_executions as (
    select
        staged.task_execution_id,
        staged.tenant_id
    from {{ ref('stg_router__task_executions') }} as staged
    {% if changed_since is not none %}
    inner join tenant_days_changed as changed
        on
            staged.tenant_id = changed.tenant_id
            and {{ in_utc_day('staged.started_at', 'changed.activity_date') }}
    {% endif %}
),

int_task_executions_with_savings as (
    select
        tenant_id,
        task_execution_id,
        actual_cost_usd,
        baseline_cost_usd,
        savings_usd,
        is_in_savings
    {% if changed_since is not none -%}
    -- The staged tasks of the changed days, each by its key (a plain `in` read all of them).
    from {{ rows_of_task_keys(
        'select staged.tenant_id, staged.task_execution_id'
        ~ ' from stg_router__task_executions as staged',
        ref('int_task_executions_with_savings'),
        'savings',
    ) }}
    {%- else %}
    from {{ ref('int_task_executions_with_savings') }}
    {%- endif %}
),

task_executions as (
    select
        executions.id,
        executions.tenant_id,
        executions.status,
        executions.cost_actual,
        executions.cost_baseline,
        executions.savings,
        executions.is_priced,
        executions.is_in_savings,
        executions.timestamp_start
    {% if changed_since is not none -%}
    -- The tasks of the changed days, day by day by the index (a join read every task).
    from (
        {{ rows_of_tenant_days('tenant_days_changed', ref('task_executions'), 'timestamp_start') }}
    ) as executions
    {%- else %}
    from {{ ref('task_executions') }} as executions
    {%- endif %}
),

open_task_executions as (
    select *
    from task_executions
    where timestamp_start >= {{ first_open_moment }}
),

usage_analytics as (
    select
        usage_days.tenant_id,
        usage_days.tasks_created,
        usage_days.unpriced_tasks,
        usage_days.total_cost_exact_usd,
        usage_days.completed_baseline_exact_usd,
        usage_days.completed_savings_exact_usd
    from {{ ref('usage_analytics') }} as usage_days
    {% if changed_since is not none %}
    inner join tenant_days_changed as changed
        on usage_days.tenant_id = changed.tenant_id and usage_days.date = changed.activity_date
    {% endif %}
    where usage_days.date >= {{ first_open_date }}
),

daily_tenant_metrics as (
    select
        metric_days.tenant_id,
        metric_days.completed_tasks_count,
        metric_days.all_tasks_count,
        metric_days.unpriced_tasks_count,
        metric_days.completed_cost_usd,
        metric_days.completed_savings_usd,
        metric_days.other_status_cost
    from {{ ref('daily_tenant_metrics') }} as metric_days
    {% if changed_since is not none %}
    inner join tenant_days_changed as changed
        on metric_days.tenant_id = changed.tenant_id and metric_days.date = changed.activity_date
    {% endif %}
    where metric_days.date >= {{ first_open_date }}
),

-- The rows compared with the tasks, per tenant: in a run, the hours and days changed.
provider_performance as (
    select
        performance.aggregation_level,
        performance.provider,
        performance.tenant_id,
        performance.period_start,
        performance.total_executions,
        performance.successful_executions,
        performance.priced_executions
    from {{ ref('provider_performance') }} as performance
    {% if changed_since is not none %}
    inner join tenant_days_changed as changed
        on
            performance.tenant_id = changed.tenant_id
            and {{ in_utc_day('performance.period_start', 'changed.activity_date') }}
    where
        performance.aggregation_level in ('hourly', 'daily')
        and performance.period_start >= {{ first_open_moment }}
    {% else %}
    where performance.period_start >= {{ first_open_moment }}
    {% endif %}
),

{% if changed_since is none -%}
performance_rows_compared_globally as (
    select * from provider_performance
),
{%- else -%}
days_changed as (
    select distinct activity_date
    from tenant_days_changed
),

-- The weeks and months that contain a changed day, per tenant (tenant_id) and for all
-- tenants (null).
long_periods_changed as (
    select distinct
        changed.tenant_id,
        levels.aggregation_level,
        levels.truncation_unit,
        date_trunc(
            levels.truncation_unit, cast(changed.activity_date as timestamptz)
        ) as period_start
    from tenant_days_changed as changed
    cross join aggregation_levels as levels
    where
        not levels.is_within_a_day
        and date_trunc(levels.truncation_unit, cast(changed.activity_date as timestamptz))
        >= {{ first_open_moment }}
),

long_periods_of_all_tenants as (
    select distinct
        aggregation_level,
        period_start
    from long_periods_changed
),

-- Every row, of each tenant and for all tenants, of the hours, days, weeks and months
-- changed: a global row must still equal the sum of its tenants' rows.
performance_rows_compared_globally as (
    select
        performance.aggregation_level,
        performance.provider,
        performance.tenant_id,
        performance.period_start,
        performance.total_executions,
        performance.successful_executions,
        performance.priced_executions
    from {{ ref('provider_performance') }} as performance
    inner join days_changed as changed
        on {{ in_utc_day('performance.period_start', 'changed.activity_date') }}
    where
        performance.aggregation_level in ('hourly', 'daily')
        and performance.period_start >= {{ first_open_moment }}
    union all
    select
        performance.aggregation_level,
        performance.provider,
        performance.tenant_id,
        performance.period_start,
        performance.total_executions,
        performance.successful_executions,
        performance.priced_executions
    from {{ ref('provider_performance') }} as performance
    inner join long_periods_of_all_tenants as periods
        on
            performance.aggregation_level = periods.aggregation_level
            and performance.period_start = periods.period_start
),

-- A tenant's weekly or monthly row holds the sum of its daily rows of that period.
long_periods_summed_from_days as (
    select
        periods.tenant_id,
        daily_rows.provider,
        periods.aggregation_level,
        periods.period_start,
        sum(daily_rows.total_executions) as task_count,
        sum(daily_rows.successful_executions) as completed_tasks,
        sum(daily_rows.priced_executions) as priced_tasks
    from long_periods_changed as periods
    inner join {{ ref('provider_performance') }} as daily_rows
        on
            periods.tenant_id = daily_rows.tenant_id
            and daily_rows.aggregation_level = 'daily'
            and periods.period_start <= daily_rows.period_start
            and periods.period_start + cast('1 ' || periods.truncation_unit as interval)
            > daily_rows.period_start
    group by periods.tenant_id, daily_rows.provider, periods.aggregation_level, periods.period_start
),

-- The weekly and monthly rows of the tenants with a changed day in them.
long_periods_of_tenants as (
    select
        performance.aggregation_level,
        performance.provider,
        performance.tenant_id,
        performance.period_start,
        performance.total_executions,
        performance.successful_executions,
        performance.priced_executions
    from performance_rows_compared_globally as performance
    inner join long_periods_changed as periods
        on
            performance.tenant_id = periods.tenant_id
            and performance.aggregation_level = periods.aggregation_level
            and performance.period_start = periods.period_start
),

long_periods_compared as (
    select
        'provider_performance = its daily rows' as reconciliation,
        coalesce(long_rows.tenant_id, from_days.tenant_id) as tenant_id,
        coalesce(long_rows.aggregation_level, from_days.aggregation_level) || ' '
        || coalesce(long_rows.provider, from_days.provider) || ' '
        || cast(
            coalesce(long_rows.period_start, from_days.period_start) as {{ dbt.type_string() }}
        ) as scope,
        figures.figure,
        figures.mart_value,
        figures.expected_value
    from long_periods_of_tenants as long_rows
    full outer join long_periods_summed_from_days as from_days
        on
            long_rows.tenant_id = from_days.tenant_id
            and long_rows.provider = from_days.provider
            and long_rows.aggregation_level = from_days.aggregation_level
            and long_rows.period_start = from_days.period_start
    cross join lateral (
        values
        (
            'total_executions',
            cast(long_rows.total_executions as numeric),
            cast(from_days.task_count as numeric)
        ),
        (
            'successful_executions',
            cast(long_rows.successful_executions as numeric),
            cast(from_days.completed_tasks as numeric)
        ),
        (
            'priced_executions',
            cast(long_rows.priced_executions as numeric),
            cast(from_days.priced_tasks as numeric)
        )
    ) as figures (figure, mart_value, expected_value)
),
{%- endif %}

customer_roi_snapshots as (
    select
        snapshots.tenant_id,
        snapshots.snapshot_date,
        snapshots.tasks_completed_30d,
        snapshots.unpriced_tasks_30d,
        snapshots.total_cost_30d_exact_usd,
        snapshots.total_baseline_30d_exact_usd,
        snapshots.total_savings_30d_exact_usd,
        snapshots.other_status_cost_30d_exact_usd
    from {{ ref('customer_roi_snapshots') }} as snapshots
    {% if changed_since is not none %}
    inner join roi_snapshots_changed as changed
        on
            snapshots.tenant_id = changed.tenant_id
            and snapshots.snapshot_date = changed.snapshot_date
    {% endif %}
    where snapshots.snapshot_date >= {{ first_unsealed_period('date', days_read_before=59) }}
),

-- 1. Staged tasks through the savings model, per tenant and for all tenants (null tenant).
staged_totals as (
    select
        staged.tenant_id,
        grouping(staged.tenant_id) = 1 as is_all_tenants,
        count(*) as task_count,
        count(*) filter (where savings.is_in_savings) as tasks_in_savings,
        sum(savings.actual_cost_usd) as cost_usd,
        sum(savings.baseline_cost_usd) as baseline_usd,
        sum(savings.savings_usd) as savings_usd
    from stg_router__task_executions as staged
    left join int_task_executions_with_savings as savings
        on
            staged.tenant_id = savings.tenant_id
            and staged.task_execution_id = savings.task_execution_id
    group by grouping sets ((staged.tenant_id), ())
),

mart_totals as (
    select
        tenant_id,
        grouping(tenant_id) = 1 as is_all_tenants,
        count(*) as task_count,
        count(*) filter (where is_in_savings) as tasks_in_savings,
        sum(cost_actual) as cost_usd,
        sum(cost_baseline) as baseline_usd,
        sum(savings) as savings_usd
    from task_executions
    group by grouping sets ((tenant_id), ())
),

task_ids_matched as (
    select
        count(*) filter (where marts.id is null) as tasks_missing,
        count(*) filter (where staged.task_execution_id is null) as tasks_not_staged
    from stg_router__task_executions as staged
    full outer join task_executions as marts
        on
            staged.tenant_id = marts.tenant_id
            and staged.task_execution_id = marts.id
),

staging_compared as (
    select
        'task_executions = staged tasks' as reconciliation,
        coalesce(marts.tenant_id, staged.tenant_id) as tenant_id,
        cast(null as {{ dbt.type_string() }}) as scope,
        figures.figure,
        figures.mart_value,
        figures.expected_value
    from staged_totals as staged
    full outer join mart_totals as marts
        on
            staged.is_all_tenants = marts.is_all_tenants
            and coalesce(staged.tenant_id, '') = coalesce(marts.tenant_id, '')
    cross join
        lateral (
            values
            ('tasks', cast(marts.task_count as numeric), cast(staged.task_count as numeric)),
            (
                'tasks in savings',
                cast(marts.tasks_in_savings as numeric),
                cast(staged.tasks_in_savings as numeric)
            ),
            ('cost_actual', marts.cost_usd, staged.cost_usd),
            ('cost_baseline', marts.baseline_usd, staged.baseline_usd),
            ('savings', marts.savings_usd, staged.savings_usd)
        ) as figures (figure, mart_value, expected_value)
    union all
    select
        'task_executions = staged tasks' as reconciliation,
        cast(null as {{ dbt.type_string() }}) as tenant_id,
        cast(null as {{ dbt.type_string() }}) as scope,
        figures.figure,
        figures.mart_value,
        cast(0 as numeric) as expected_value
    from task_ids_matched
    cross join lateral (
        values
        ('staged tasks missing', cast(task_ids_matched.tasks_missing as numeric)),
        ('tasks that are not staged', cast(task_ids_matched.tasks_not_staged as numeric))
    ) as figures (figure, mart_value)
),

-- 2. What the aggregate marts must add up to, from the task-level fact: its open tasks
-- summed once per tenant and UTC day, and every comparison below from those days.
tenant_days_summed as (
    select
        tenant_id,
        {{ utc_date('timestamp_start') }} as activity_date,
        count(*) as task_count,
        count(*) filter (where status = 'completed') as completed_tasks,
        count(*) filter (where is_priced) as priced_tasks,
        count(*) filter (where not is_priced) as unpriced_tasks,
        sum(cost_actual) as cost_usd,
        sum(cost_actual) filter (where status = 'completed') as completed_cost_usd,
        sum(cost_actual) filter (where status <> 'completed') as other_status_cost_usd,
        sum(cost_baseline) filter (where status = 'completed') as completed_baseline_usd,
        sum(savings) filter (where status = 'completed') as completed_savings_usd,
        sum(cost_actual) filter (
            where status = 'completed' and is_priced
        ) as completed_priced_cost_usd,
        sum(cost_baseline) filter (
            where status = 'completed' and is_priced
        ) as completed_priced_baseline_usd,
        sum(savings) filter (
            where status = 'completed' and is_priced
        ) as completed_priced_savings_usd
    from open_task_executions
    group by tenant_id, {{ utc_date('timestamp_start') }}
),

tenant_tasks_summed as (
    select
        tenant_id,
        sum(task_count) as task_count,
        sum(completed_tasks) as completed_tasks,
        sum(unpriced_tasks) as unpriced_tasks,
        sum(cost_usd) as cost_usd,
        sum(completed_cost_usd) as completed_cost_usd,
        sum(other_status_cost_usd) as other_status_cost_usd,
        sum(completed_baseline_usd) as completed_baseline_usd,
        sum(completed_savings_usd) as completed_savings_usd
    from tenant_days_summed
    group by tenant_id
),

usage_summed as (
    select
        tenant_id,
        sum(tasks_created) as task_count,
        sum(unpriced_tasks) as unpriced_tasks,
        sum(total_cost_exact_usd) as cost_usd,
        sum(completed_baseline_exact_usd) as completed_baseline_usd,
        sum(completed_savings_exact_usd) as completed_savings_usd
    from usage_analytics
    group by tenant_id
),

usage_compared as (
    select
        'usage_analytics = task_executions' as reconciliation,
        coalesce(usage_totals.tenant_id, task_totals.tenant_id) as tenant_id,
        cast(null as {{ dbt.type_string() }}) as scope,
        figures.figure,
        figures.mart_value,
        figures.expected_value
    from usage_summed as usage_totals
    full outer join tenant_tasks_summed as task_totals
        on usage_totals.tenant_id = task_totals.tenant_id
    cross join lateral (
        values
        -- A tenant with usage events and no task has days of zero tasks.
        (
            'tasks_created',
            cast(usage_totals.task_count as numeric),
            cast(coalesce(task_totals.task_count, 0) as numeric)
        ),
        (
            'unpriced_tasks',
            cast(usage_totals.unpriced_tasks as numeric),
            cast(coalesce(task_totals.unpriced_tasks, 0) as numeric)
        ),
        ('total_cost_exact_usd', usage_totals.cost_usd, task_totals.cost_usd),
        (
            'completed_baseline_exact_usd',
            usage_totals.completed_baseline_usd,
            task_totals.completed_baseline_usd
        ),
        (
            'completed_savings_exact_usd',
            usage_totals.completed_savings_usd,
            task_totals.completed_savings_usd
        )
    ) as figures (figure, mart_value, expected_value)
),

daily_metrics_summed as (
    select
        tenant_id,
        sum(completed_tasks_count) as completed_tasks,
        sum(all_tasks_count) as task_count,
        sum(unpriced_tasks_count) as unpriced_tasks,
        sum(completed_cost_usd) as completed_cost_usd,
        sum(completed_savings_usd) as completed_savings_usd,
        sum(other_status_cost) as other_status_cost_usd
    from daily_tenant_metrics
    group by tenant_id
),

daily_metrics_compared as (
    select
        'daily_tenant_metrics = task_executions' as reconciliation,
        coalesce(daily.tenant_id, task_totals.tenant_id) as tenant_id,
        cast(null as {{ dbt.type_string() }}) as scope,
        figures.figure,
        figures.mart_value,
        figures.expected_value
    from daily_metrics_summed as daily
    full outer join tenant_tasks_summed as task_totals
        on daily.tenant_id = task_totals.tenant_id
    cross join lateral (
        values
        (
            'completed_tasks_count',
            cast(daily.completed_tasks as numeric),
            cast(task_totals.completed_tasks as numeric)
        ),
        (
            'all_tasks_count',
            cast(daily.task_count as numeric),
            cast(task_totals.task_count as numeric)
        ),
        (
            'unpriced_tasks_count',
            cast(daily.unpriced_tasks as numeric),
            cast(task_totals.unpriced_tasks as numeric)
        ),
        ('completed_cost_usd', daily.completed_cost_usd, task_totals.completed_cost_usd),
        (
            'completed_savings_usd',
            daily.completed_savings_usd,
            task_totals.completed_savings_usd
        ),
        ('other_status_cost', daily.other_status_cost_usd, task_totals.other_status_cost_usd)
    ) as figures (figure, mart_value, expected_value)
),

-- The levels compared with the tasks: in a run, hours and days (weeks and months are
-- compared with the daily rows there: long_periods_compared).
levels_compared_with_tasks as (
    select
        aggregation_level,
        truncation_unit
    from aggregation_levels
    {% if changed_since is not none %}
    where is_within_a_day
    {% endif %}
),

-- Per level, the tasks of the periods the mart rebuilds (a week or month that began before
-- detail_kept_from() is sealed with all its tasks). A UTC day lies in one period of each
-- level, and detail_kept_from() is a UTC midnight: the days tell.
tenant_levels_expected as (
    select
        tenant_days.tenant_id,
        levels.aggregation_level,
        sum(tenant_days.task_count) as task_count,
        sum(tenant_days.completed_tasks) as completed_tasks,
        sum(tenant_days.priced_tasks) as priced_tasks
    from tenant_days_summed as tenant_days
    cross join levels_compared_with_tasks as levels
    where
        date_trunc(
            levels.truncation_unit, cast(tenant_days.activity_date as timestamptz)
        ) >= {{ first_open_moment }}
    group by tenant_days.tenant_id, levels.aggregation_level
),

performance_summed as (
    select
        tenant_id,
        aggregation_level,
        sum(total_executions) as task_count,
        sum(successful_executions) as completed_tasks,
        sum(priced_executions) as priced_tasks
    from provider_performance
    where tenant_id is not null
    group by tenant_id, aggregation_level
),

performance_compared as (
    select
        'provider_performance = task_executions' as reconciliation,
        coalesce(performance.tenant_id, expected.tenant_id) as tenant_id,
        coalesce(performance.aggregation_level, expected.aggregation_level) as scope,
        figures.figure,
        figures.mart_value,
        figures.expected_value
    from performance_summed as performance
    full outer join tenant_levels_expected as expected
        on
            performance.tenant_id = expected.tenant_id
            and performance.aggregation_level = expected.aggregation_level
    cross join lateral (
        values
        (
            'total_executions',
            cast(performance.task_count as numeric),
            cast(expected.task_count as numeric)
        ),
        (
            'successful_executions',
            cast(performance.completed_tasks as numeric),
            cast(expected.completed_tasks as numeric)
        ),
        (
            'priced_executions',
            cast(performance.priced_tasks as numeric),
            cast(expected.priced_tasks as numeric)
        )
    ) as figures (figure, mart_value, expected_value)
),

-- A global row (tenant_id null) counts the tasks of every tenant in its period.
performance_tenant_rows_summed as (
    select
        aggregation_level,
        provider,
        period_start,
        sum(total_executions) as task_count,
        sum(successful_executions) as completed_tasks,
        sum(priced_executions) as priced_tasks
    from performance_rows_compared_globally
    where tenant_id is not null
    group by aggregation_level, provider, period_start
),

performance_global_compared as (
    select
        'provider_performance global = its tenants' as reconciliation,
        cast(null as {{ dbt.type_string() }}) as tenant_id,
        global_rows.aggregation_level || ' ' || global_rows.provider || ' '
        || cast(global_rows.period_start as {{ dbt.type_string() }}) as scope,
        figures.figure,
        figures.mart_value,
        figures.expected_value
    from performance_rows_compared_globally as global_rows
    left join performance_tenant_rows_summed as tenant_rows
        on
            global_rows.aggregation_level = tenant_rows.aggregation_level
            and global_rows.provider = tenant_rows.provider
            and global_rows.period_start = tenant_rows.period_start
    cross join
        lateral (
            values
            (
                'total_executions',
                cast(global_rows.total_executions as numeric),
                cast(tenant_rows.task_count as numeric)
            ),
            (
                'successful_executions',
                cast(global_rows.successful_executions as numeric),
                cast(tenant_rows.completed_tasks as numeric)
            ),
            (
                'priced_executions',
                cast(global_rows.priced_executions as numeric),
                cast(tenant_rows.priced_tasks as numeric)
            )
        ) as figures (figure, mart_value, expected_value)
    where global_rows.tenant_id is null
),

-- The days ROI snapshots add up: the task mart's, or in a run usage_analytics' (checked
-- against the tasks above on the days changed; the other days were on earlier runs). An
-- unpriced task has no cost, baseline nor savings, so usage_analytics' completed money is
-- the completed priced tasks'.
roi_days as (
    {% if changed_since is none %}
    select
        tenant_id,
        activity_date,
        completed_tasks,
        unpriced_tasks,
        completed_priced_cost_usd,
        completed_priced_baseline_usd,
        completed_priced_savings_usd,
        other_status_cost_usd
    from tenant_days_summed
    {% else %}
    select
        tenant_id,
        date as activity_date,
        completed_tasks,
        unpriced_tasks,
        completed_cost_exact_usd as completed_priced_cost_usd,
        completed_baseline_exact_usd as completed_priced_baseline_usd,
        completed_savings_exact_usd as completed_priced_savings_usd,
        other_status_cost_exact_usd as other_status_cost_usd
    from {{ ref('usage_analytics') }}
    {% endif %}
),

-- Every ROI snapshot: the 30 UTC days ending with snapshot_date, completed tasks (money over
-- the completed priced ones), other statuses' cost and unpriced tasks apart.
roi_windows_expected as (
    select
        snapshots.tenant_id,
        snapshots.snapshot_date,
        coalesce(sum(tenant_days.completed_tasks), 0) as completed_tasks,
        coalesce(sum(tenant_days.unpriced_tasks), 0) as unpriced_tasks,
        sum(tenant_days.completed_priced_cost_usd) as cost_usd,
        sum(tenant_days.completed_priced_baseline_usd) as baseline_usd,
        sum(tenant_days.completed_priced_savings_usd) as savings_usd,
        sum(tenant_days.other_status_cost_usd) as other_status_cost_usd
    from customer_roi_snapshots as snapshots
    left join roi_days as tenant_days
        on
            snapshots.tenant_id = tenant_days.tenant_id
            and snapshots.snapshot_date >= tenant_days.activity_date
            and tenant_days.activity_date > {{ dbt.dateadd('day', -30, 'snapshots.snapshot_date') }}
    group by snapshots.tenant_id, snapshots.snapshot_date
),

roi_compared as (
    select
        {% if changed_since is none %}
        'customer_roi_snapshots = task_executions' as reconciliation,
        {% else %}
        'customer_roi_snapshots = usage_analytics' as reconciliation,
        {% endif %}
        snapshots.tenant_id,
        cast(snapshots.snapshot_date as {{ dbt.type_string() }}) as scope,
        figures.figure,
        figures.mart_value,
        figures.expected_value
    from customer_roi_snapshots as snapshots
    inner join roi_windows_expected as expected
        on
            snapshots.tenant_id = expected.tenant_id
            and snapshots.snapshot_date = expected.snapshot_date
    cross join lateral (
        values
        (
            'tasks_completed_30d',
            cast(snapshots.tasks_completed_30d as numeric),
            cast(expected.completed_tasks as numeric)
        ),
        (
            'unpriced_tasks_30d',
            cast(snapshots.unpriced_tasks_30d as numeric),
            cast(expected.unpriced_tasks as numeric)
        ),
        ('total_cost_30d_exact_usd', snapshots.total_cost_30d_exact_usd, expected.cost_usd),
        (
            'total_baseline_30d_exact_usd',
            snapshots.total_baseline_30d_exact_usd,
            expected.baseline_usd
        ),
        (
            'total_savings_30d_exact_usd',
            snapshots.total_savings_30d_exact_usd,
            expected.savings_usd
        ),
        (
            'other_status_cost_30d_exact_usd',
            snapshots.other_status_cost_30d_exact_usd,
            expected.other_status_cost_usd
        )
    ) as figures (figure, mart_value, expected_value)
),

figures_compared as (
    select * from staging_compared
    union all
    select * from usage_compared
    union all
    select * from daily_metrics_compared
    union all
    select * from performance_compared
    union all
    select * from performance_global_compared
    union all
    select * from roi_compared
    {% if changed_since is not none %}
    union all
    select * from long_periods_compared
    {% endif %}
),

final as (
    select
        reconciliation,
        tenant_id,
        scope,
        figure,
        mart_value,
        expected_value
    from figures_compared
    where mart_value is distinct from expected_value
)

select * from final
