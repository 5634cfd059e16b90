-- Every breakdown of analytics.cost_breakdowns_daily covers each tenant's day and provider
-- exactly once: per tenant, day, provider and breakdown, its rows add up to the tasks of
-- analytics.task_executions (tasks, completed, priced, exact cost, completed savings), to the
-- last digit. Returns one row per figure that differs. Open days only: sealed days keep
-- figures whose tasks retention has deleted.
-- In `routing-analytics run` (ANALYTICS_CHANGED_SINCE set), the check costs as much as the
-- change: the same comparison over the tenant-days whose tasks the run can have changed
-- (macro task_days_changed_since), the only days whose breakdowns it rebuilds. `build`,
-- `check`, make test and CI check every open day.
{%- set first_open_date = first_unsealed_period('date') %}
{%- set changed_since = run_changed_since() %}
-- depends_on: {{ ref('base_router__task_executions') }}
-- depends_on: {{ ref('int_task_executions_with_savings') }}
with

{% if changed_since is not none -%}
tenant_days_changed as (
    {{ task_days_changed_since(changed_since) }}
),

{% endif -%}

task_executions as (
    select
        executions.tenant_id,
        executions.provider_used,
        executions.status,
        executions.cost_actual,
        executions.savings,
        executions.is_priced,
        executions.timestamp_start
    from {{ ref('task_executions') }} as executions
    {% if changed_since is not none -%}
    inner join tenant_days_changed as changed
        on
            executions.tenant_id = changed.tenant_id
            and {{ in_utc_day('executions.timestamp_start', 'changed.activity_date') }}
    {% endif -%}
    where executions.timestamp_start >= {{ first_open_date }}
),

cost_breakdowns_daily as (
    select
        breakdowns.tenant_id,
        breakdowns.date,
        breakdowns.provider,
        breakdowns.breakdown,
        breakdowns.total_tasks,
        breakdowns.completed_tasks,
        breakdowns.priced_tasks,
        breakdowns.total_cost_exact_usd,
        breakdowns.completed_savings_exact_usd
    from {{ ref('cost_breakdowns_daily') }} as breakdowns
    {% if changed_since is not none -%}
    inner join tenant_days_changed as changed
        on
            breakdowns.tenant_id = changed.tenant_id
            and breakdowns.date = changed.activity_date
    {% endif -%}
    where breakdowns.date >= {{ first_open_date }}
),

tasks_aggregated as (
    select
        tenant_id,
        {{ utc_date('timestamp_start') }} as activity_date,
        provider_used,
        count(*) as total_tasks,
        count(*) filter (where status = 'completed') as completed_tasks,
        count(*) filter (where is_priced) as priced_tasks,
        sum(cost_actual) as total_cost_exact_usd,
        sum(savings) filter (where status = 'completed') as completed_savings_exact_usd
    from task_executions
    group by tenant_id, {{ utc_date('timestamp_start') }}, provider_used
),

breakdowns_aggregated as (
    select
        tenant_id,
        date as activity_date,
        provider as provider_used,
        breakdown,
        sum(total_tasks) as total_tasks,
        sum(completed_tasks) as completed_tasks,
        sum(priced_tasks) as priced_tasks,
        sum(total_cost_exact_usd) as total_cost_exact_usd,
        sum(completed_savings_exact_usd) as completed_savings_exact_usd
    from cost_breakdowns_daily
    group by tenant_id, date, provider, breakdown
),

-- Every breakdown name for every tenant-day-provider of the tasks: a missing row shows.
expected_breakdowns as (
    select
        tasks_aggregated.*,
        breakdown_names.breakdown
    from tasks_aggregated
    cross join (
        values
        ('task_type'), ('model'), ('provider_account'), ('agent'), ('language'), ('complexity')
    ) as breakdown_names (breakdown)
),

final as (
    select
        expected.total_tasks as expected_tasks,
        found.total_tasks as found_tasks,
        expected.total_cost_exact_usd as expected_cost_usd,
        found.total_cost_exact_usd as found_cost_usd,
        coalesce(expected.tenant_id, found.tenant_id) as tenant_id,
        coalesce(expected.activity_date, found.activity_date) as activity_date,
        coalesce(expected.provider_used, found.provider_used) as provider_used,
        coalesce(expected.breakdown, found.breakdown) as breakdown
    from expected_breakdowns as expected
    full outer join breakdowns_aggregated as found
        on
            expected.tenant_id = found.tenant_id
            and expected.activity_date = found.activity_date
            and expected.provider_used = found.provider_used
            and expected.breakdown = found.breakdown
    where
        expected.total_tasks is distinct from found.total_tasks
        or expected.completed_tasks is distinct from found.completed_tasks
        or expected.priced_tasks is distinct from found.priced_tasks
        or expected.total_cost_exact_usd is distinct from found.total_cost_exact_usd
        or expected.completed_savings_exact_usd is distinct from found.completed_savings_exact_usd
)

select * from final
