{#-
    A table, rebuilt by every build right after the task mart: the aggregate marts find the
    days whose tasks changed by comparing these counts with what their rows were built from
    (macros/incremental/), so the task mart is scanned once per build instead of once per
    mart and statement.
-#}
{{ config(materialized='table') }}

with

task_executions as (
    select
        tenant_id,
        timestamp_start,
        _inputs_staged_at
    from {{ ref('task_executions') }}
),

final as (
    select
        tenant_id,
        {{ utc_date('timestamp_start') }} as activity_date,
        count(*) as started_tasks,
        max(_inputs_staged_at) as newest_input
    from task_executions
    group by tenant_id, {{ utc_date('timestamp_start') }}
)

select * from final
