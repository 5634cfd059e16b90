{{ config(tags=['full_history']) }}
-- The task counts a build keeps per tenant and day (int_task_executions_counted_by_day,
-- counted again only where tasks can have changed since) equal a count of every task of
-- analytics.task_executions: returns the rows of each that the other lacks (EXCEPT ALL
-- both ways). Tagged full_history: a scheduled run leaves it out (it reads every task),
-- every full build (`routing-analytics build`, make test, CI) runs it.
with

int_task_executions_counted_by_day as (
    select
        tenant_id,
        activity_date,
        started_tasks,
        newest_input
    from {{ ref('int_task_executions_counted_by_day') }}
),

counted_from_scratch as (
    select
        tenant_id,
        {{ utc_date('timestamp_start') }} as activity_date,
        count(*) as started_tasks,
        max(_inputs_staged_at) as newest_input
    from {{ ref('task_executions') }}
    group by tenant_id, {{ utc_date('timestamp_start') }}
),

kept_not_recounted as (
    select * from int_task_executions_counted_by_day
    except all
    select * from counted_from_scratch
),

recounted_not_kept as (
    select * from counted_from_scratch
    except all
    select * from int_task_executions_counted_by_day
),

final as (
    select
        'kept, not in a count from scratch' as difference,
        kept_not_recounted.tenant_id,
        kept_not_recounted.activity_date,
        kept_not_recounted.started_tasks,
        kept_not_recounted.newest_input
    from kept_not_recounted
    union all
    select
        'in a count from scratch, not kept' as difference,
        recounted_not_kept.tenant_id,
        recounted_not_kept.activity_date,
        recounted_not_kept.started_tasks,
        recounted_not_kept.newest_input
    from recounted_not_kept
)

select * from final
