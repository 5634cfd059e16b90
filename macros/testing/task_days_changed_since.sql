{#-
    SQL query (tenant_id, activity_date): the tenant-days whose tasks a run can have changed
    since `changed_since` (a SQL timestamptz, run_changed_since()): those of the tasks it
    priced or published, and of every version of a task key it staged (the day a task left
    counts too: withdrawn, rejected, or moved to another start time). The checks a run
    scopes to what it changed read these days only. Its callers name the relations it reads
    with `-- depends_on:` (dbt does not see refs in a branch left out at parse time).
-#}
{%- macro task_days_changed_since(changed_since) -%}
    select
        tenant_id,
        {{ utc_date('timestamp_start') }} as activity_date
    from {{ ref('task_executions') }}
    where _inputs_staged_at > {{ changed_since }}
    union
    select
        tenant_id,
        {{ utc_date('started_at') }} as activity_date
    from {{ ref('int_task_executions_with_savings') }}
    where _inputs_staged_at > {{ changed_since }}
    union
    select
        versions.tenant_id,
        {{ utc_date('versions.started_at') }} as activity_date
    from {{ ref('base_router__task_executions') }} as restaged
    inner join {{ ref('base_router__task_executions') }} as versions
        on
            restaged.task_execution_id = versions.task_execution_id
            and restaged.tenant_id = versions.tenant_id
    where restaged._staged_at > {{ changed_since }} and versions.started_at is not null
{%- endmacro -%}
