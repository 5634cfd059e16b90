{#-
    Built right after the task mart: the aggregate marts find the days whose tasks changed
    by comparing these counts with what their rows were built from (macros/incremental/), so
    the task mart is read once per build instead of once per mart and statement.
    Incremental (strategy replace_recounted): a build counts again only the tenant-days
    whose tasks can have changed since the newest input stamp it counted (macro
    task_days_changed_since: the days of the tasks priced or published since, and every day
    of a task key staged since, so the day a task left counts too), and the days it holds
    before detail_kept_from(), which retention empties. After a load was withdrawn or restored
    (`loads withdraw` deletes rows of the live marts, whose rebuilt rows may carry older
    stamps) it counts every day again. A day left without tasks loses its row.
-#}
{%- set first_open_date = first_unsealed_period('date') -%}
{#- The post-hook: a version before this one built it as a plain table, without the index. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_recounted',
        recounted_key=['tenant_id', 'activity_date'],
        kept_when='started_tasks > 0',
        on_schema_change='fail',
        indexes=[
            {'columns': ['tenant_id', 'activity_date'], 'unique': true},
        ],
        post_hook="{{ create_missing_indexes(this) }}",
    )
}}
-- depends_on: {{ ref('base_router__task_executions') }}
-- depends_on: {{ ref('int_task_executions_with_savings') }}
-- depends_on: {{ ref('stg_router__load_withdrawals') }}

with

task_executions as not materialized (
    select
        tenant_id,
        timestamp_start,
        _inputs_staged_at
    from {{ ref('task_executions') }}
),

{% if is_incremental() %}

{%- set counted_since = stamp_literal(
    '(select ' ~ built_from('newest_input') ~ ' from ' ~ this ~ ')'
) %}

days_recounted as (
    select
        counted.tenant_id,
        counted.activity_date
    from {{ this }} as counted
    {%- if loads_withdrawn_or_restored_since(counted_since) %}
    union
    select distinct
        tenant_id,
        {{ utc_date('timestamp_start') }} as activity_date
    from task_executions
    {%- else %}
    -- Retention deletes the tasks of these days; a task added to one since is stamped.
    where counted.activity_date < {{ first_open_date }}
    union
    {{ task_days_changed_since(counted_since) }}
    {%- endif %}
),

task_executions_recounted as (
    {{ rows_of_tenant_days('days_recounted', 'task_executions', 'timestamp_start') }}
),

{% endif %}

days_counted as (
    select
        tenant_id,
        {{ utc_date('timestamp_start') }} as activity_date,
        count(*) as started_tasks,
        max(_inputs_staged_at) as newest_input
    from {{ 'task_executions_recounted' if is_incremental() else 'task_executions' }}
    group by tenant_id, {{ utc_date('timestamp_start') }}
),

final as (
    {%- if is_incremental() %}
    -- Every day recounted, with 0 tasks where none are left: the strategy deletes its row.
    {{ days_recounted_with_their_counts('started_tasks', ['newest_input']) }}
    {%- else %}
    select * from days_counted
    {%- endif %}
)

select * from final
