{{ config(
    tags=['data_quality'],
    severity='error',
    meta={'threshold': var('max_missing_cost_share') ~ ' of the tasks of unpublished loads'},
) }}
-- Data-quality gate (design document 9: missing cost data > 5 % of tasks is an alert): one
-- row when the share of unpriced tasks among those this run adds (whose latest version came
-- in a load not yet published) is above var('max_missing_cost_share'). The all-history
-- share is the monitoring figure missing_cost_data_percent of `routing-analytics check`.
-- In `routing-analytics run` (ANALYTICS_CHANGED_SINCE set) only the tasks staged after the
-- newest input of the live marts are read (by the index on _staged_at, instead of every
-- staged task): a task of an unpublished load was staged by a build that published nothing
-- since, so after that input. A task written into raw without a load is judged by the run
-- that stages it.
{%- set changed_since = run_changed_since() %}
with

task_executions as (
    select
        tenant_id,
        id as task_execution_id,
        is_priced
    from {{ ref('task_executions') }}
),

stg_router__task_executions as (
    select
        tenant_id,
        task_execution_id,
        _load_id
    from {{ ref('stg_router__task_executions') }}
    {%- if changed_since is not none %}
    where _staged_at > {{ changed_since }}
    {%- endif %}
),

base_router__published_loads as (
    select load_id
    from {{ ref('base_router__published_loads') }}
),

new_tasks as (
    select
        stg_router__task_executions.tenant_id,
        stg_router__task_executions.task_execution_id
    from stg_router__task_executions
    where not exists (
        select 1
        from base_router__published_loads
        where base_router__published_loads.load_id = stg_router__task_executions._load_id
    )
),

shares_computed as (
    select
        count(*) filter (where not task_executions.is_priced) as unpriced_tasks,
        count(*) as new_tasks
    from task_executions
    inner join new_tasks
        on
            task_executions.tenant_id = new_tasks.tenant_id
            and task_executions.task_execution_id = new_tasks.task_execution_id
),

final as (
    select
        unpriced_tasks,
        new_tasks,
        'gate missing_cost_share failed: stream task_executions, ' || unpriced_tasks || ' of '
        || new_tasks || ' tasks of unpublished loads ('
        || {{ floor_to_places('100.0 * unpriced_tasks / new_tasks', 1) }}
        || ' %) have no cost data, above the threshold of '
        || 100 * {{ var('max_missing_cost_share') }} || ' %' as gate_failure
    from shares_computed
    where unpriced_tasks > {{ var('max_missing_cost_share') }} * new_tasks
)

select * from final
