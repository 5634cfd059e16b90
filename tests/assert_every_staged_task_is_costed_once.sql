-- Fails on every task (tenant_id, task_execution_id) that is in stg_router__task_executions
-- but not exactly once in int_task_executions_costed, or in int_task_executions_costed but
-- not in staging.
-- In `routing-analytics run` (ANALYTICS_CHANGED_SINCE set), the check costs as much as the
-- change: the same comparison over the task keys it can have changed (macro
-- task_keys_changed_since). `build`, `check`, make test and CI check every task.
{%- set changed_since = run_changed_since() %}
-- depends_on: {{ ref('base_router__task_executions') }}
-- depends_on: {{ ref('int_task_executions_costed') }}
with

{% if changed_since is not none -%}
task_keys_changed as (
    {{ task_keys_changed_since(changed_since, ['int_task_executions_costed']) }}
),

{% endif -%}

stg_router__task_executions as (
    select
        staged.tenant_id,
        staged.task_execution_id
    from {{ ref('stg_router__task_executions') }} as staged
    {% if changed_since is not none -%}
    inner join task_keys_changed as changed
        on
            staged.tenant_id = changed.tenant_id
            and staged.task_execution_id = changed.task_execution_id
    {% endif -%}
),

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

costed_rows_counted as (
    select
        tenant_id,
        task_execution_id,
        count(*) as costed_rows
    from int_task_executions_costed
    group by tenant_id, task_execution_id
),

final as (
    select
        coalesce(expected.tenant_id, counted.tenant_id) as tenant_id,
        coalesce(expected.task_execution_id, counted.task_execution_id) as task_execution_id,
        expected.task_execution_id is not null as is_staged,
        coalesce(counted.costed_rows, 0) as costed_rows
    from stg_router__task_executions as expected
    full outer join costed_rows_counted as counted
        on
            expected.tenant_id = counted.tenant_id
            and expected.task_execution_id = counted.task_execution_id
    where
        expected.task_execution_id is null
        or counted.costed_rows is distinct from 1
)

select * from final
