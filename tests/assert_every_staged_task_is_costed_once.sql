-- Fails on every task execution id that is in stg_router__task_executions but not exactly
-- once in int_task_executions_costed, or in int_task_executions_costed but not in staging.
with

stg_router__task_executions as (
    select task_execution_id
    from {{ ref('stg_router__task_executions') }}
),

int_task_executions_costed as (
    select task_execution_id
    from {{ ref('int_task_executions_costed') }}
),

costed_rows_counted as (
    select
        task_execution_id,
        count(*) as costed_rows
    from int_task_executions_costed
    group by task_execution_id
),

final as (
    select
        coalesce(
            stg_router__task_executions.task_execution_id,
            costed_rows_counted.task_execution_id
        ) as task_execution_id,
        stg_router__task_executions.task_execution_id is not null as is_staged,
        coalesce(costed_rows_counted.costed_rows, 0) as costed_rows
    from stg_router__task_executions
    full outer join costed_rows_counted
        on stg_router__task_executions.task_execution_id = costed_rows_counted.task_execution_id
    where
        stg_router__task_executions.task_execution_id is null
        or costed_rows_counted.costed_rows is distinct from 1
)

select * from final
