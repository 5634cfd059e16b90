-- Fails on every task (tenant_id, task_execution_id) that is in int_task_executions_costed
-- but not exactly once in int_task_executions_with_savings, or in the savings model but not
-- costed.
-- In `routing-analytics run` (ANALYTICS_CHANGED_SINCE set), the check costs as much as the
-- change: the same comparison over the task keys it can have changed (macro
-- task_keys_changed_since). `build`, `check`, make test and CI check every task.
{%- set changed_since = run_changed_since() %}
-- depends_on: {{ ref('base_router__task_executions') }}
-- depends_on: {{ ref('int_task_executions_costed') }}
-- depends_on: {{ ref('int_task_executions_with_savings') }}
with

{% if changed_since is not none -%}
task_keys_changed as (
    {{ task_keys_changed_since(
        changed_since, ['int_task_executions_costed', 'int_task_executions_with_savings']
    ) }}
),

{% endif -%}

int_task_executions_costed as (
    select
        costed.tenant_id,
        costed.task_execution_id
    from {{ ref('int_task_executions_costed') }} as costed
    {% if changed_since is not none -%}
    inner join task_keys_changed as changed
        on
            costed.tenant_id = changed.tenant_id
            and costed.task_execution_id = changed.task_execution_id
    {% endif -%}
),

int_task_executions_with_savings as (
    select
        with_savings.tenant_id,
        with_savings.task_execution_id
    from {{ ref('int_task_executions_with_savings') }} as with_savings
    {% if changed_since is not none -%}
    inner join task_keys_changed as changed
        on
            with_savings.tenant_id = changed.tenant_id
            and with_savings.task_execution_id = changed.task_execution_id
    {% endif -%}
),

savings_rows_counted as (
    select
        tenant_id,
        task_execution_id,
        count(*) as savings_rows
    from int_task_executions_with_savings
    group by tenant_id, task_execution_id
),

final as (
    select
        coalesce(expected.tenant_id, counted.tenant_id) as tenant_id,
        coalesce(expected.task_execution_id, counted.task_execution_id) as task_execution_id,
        expected.task_execution_id is not null as is_costed,
        coalesce(counted.savings_rows, 0) as savings_rows
    from int_task_executions_costed as expected
    full outer join savings_rows_counted as counted
        on
            expected.tenant_id = counted.tenant_id
            and expected.task_execution_id = counted.task_execution_id
    where
        expected.task_execution_id is null
        or counted.savings_rows is distinct from 1
)

select * from final
