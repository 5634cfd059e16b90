{{ config(
    tags=['data_quality'],
    severity='error',
    meta={'threshold': var('max_missing_cost_share')},
) }}
-- Data-quality gate (design document 9: missing cost data > 5 % of tasks is an alert): one
-- row when the share of unpriced tasks is above var('max_missing_cost_share').
with

fct_task_executions as (
    select is_priced
    from {{ ref('fct_task_executions') }}
),

shares_computed as (
    select
        count(*) filter (where not is_priced) as unpriced_tasks,
        count(*) as all_tasks
    from fct_task_executions
),

final as (
    select
        unpriced_tasks,
        all_tasks
    from shares_computed
    where unpriced_tasks > {{ var('max_missing_cost_share') }} * all_tasks
)

select * from final
