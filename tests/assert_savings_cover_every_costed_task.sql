-- Fails on every task (tenant_id, task_execution_id) that is in int_task_executions_costed
-- but not exactly once in int_task_executions_with_savings, or in the savings model but not
-- costed.
with

int_task_executions_costed as (
    select
        tenant_id,
        task_execution_id
    from {{ ref('int_task_executions_costed') }}
),

int_task_executions_with_savings as (
    select
        tenant_id,
        task_execution_id
    from {{ ref('int_task_executions_with_savings') }}
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
