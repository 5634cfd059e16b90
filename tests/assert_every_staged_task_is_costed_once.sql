-- Fails on every task (tenant_id, task_execution_id) that is in stg_router__task_executions
-- but not exactly once in int_task_executions_costed, or in int_task_executions_costed but
-- not in staging.
with

stg_router__task_executions as (
    select
        tenant_id,
        task_execution_id
    from {{ ref('stg_router__task_executions') }}
),

int_task_executions_costed as (
    select
        tenant_id,
        task_execution_id
    from {{ ref('int_task_executions_costed') }}
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
