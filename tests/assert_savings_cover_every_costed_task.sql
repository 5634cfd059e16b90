-- Fails on every task execution id that is in int_task_executions_costed but not exactly
-- once in int_task_executions_with_savings, or in the savings model but not costed.
with

int_task_executions_costed as (
    select task_execution_id
    from {{ ref('int_task_executions_costed') }}
),

int_task_executions_with_savings as (
    select task_execution_id
    from {{ ref('int_task_executions_with_savings') }}
),

savings_rows_counted as (
    select
        task_execution_id,
        count(*) as savings_rows
    from int_task_executions_with_savings
    group by task_execution_id
),

final as (
    select
        coalesce(
            int_task_executions_costed.task_execution_id,
            savings_rows_counted.task_execution_id
        ) as task_execution_id,
        int_task_executions_costed.task_execution_id is not null as is_costed,
        coalesce(savings_rows_counted.savings_rows, 0) as savings_rows
    from int_task_executions_costed
    full outer join savings_rows_counted
        on int_task_executions_costed.task_execution_id = savings_rows_counted.task_execution_id
    where
        int_task_executions_costed.task_execution_id is null
        or savings_rows_counted.savings_rows is distinct from 1
)

select * from final
