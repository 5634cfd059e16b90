-- depends_on: {{ ref('stg_router__load_withdrawals') }}
{#- (tenant_id, decided_at, routing_reason, routing_strategy): the routing mix of a window
    (the API's /v1/routing) is read from the index only. The build stamp's index leads with
    tenant_id like every published index (see task_executions.sql). -#}
{{
    config(
        materialized='incremental',
        unique_key=['tenant_id', 'id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['tenant_id', 'provider_selected']},
            {'columns': ['tenant_id', 'decided_at', 'routing_reason', 'routing_strategy']},
            {'columns': ['tenant_id', 'task_execution_id']},
            {'columns': ['tenant_id', 'id'], 'unique': true},
            {'columns': ['tenant_id', '_inputs_staged_at']},
        ],
    )
}}

with

-- Not materialized: each reference reads the table through its indexes (a CTE that is
-- referenced twice would otherwise be copied whole first).
stg_router__routing_decisions as not materialized (
    select
        routing_decision_id,
        task_execution_id,
        tenant_id,
        selected_provider_key,
        routing_reason,
        routing_strategy,
        providers_evaluated,
        cost_estimates,
        user_preferences,
        is_embedded,
        decided_at,
        _load_id,
        _line_number,
        _loaded_at,
        _staged_at
    from {{ ref('stg_router__routing_decisions') }}
),

stg_router__task_executions as not materialized (
    select
        tenant_id,
        task_execution_id,
        _loaded_at,
        _staged_at
    from {{ ref('stg_router__task_executions') }}
),

{% if is_incremental() %}

{#- Builds stamp what they write (_staged_at): what a later build wrote than the newest
    input this mart holds is new to it, however late its load committed. A literal, so that
    PostgreSQL plans for the few rows staged since. -#}
{%- set built_from_at = stamp_literal(newest_built_stamp('_inputs_staged_at')) %}

{#- After a withdrawal or a restore, the staged decisions this mart lacks (`loads
    withdraw` removed them from the live marts) are built again. -#}
{%- set loads_withdrawn_or_restored = loads_withdrawn_or_restored_since(built_from_at) %}

-- Which decision of a task is the latest depends on all of them, and has_task_execution on
-- the task: a new decision or a newly landed task re-builds every decision of its task.
tasks_to_rebuild as (
    select
        decisions.tenant_id,
        decisions.task_execution_id
    from stg_router__routing_decisions as decisions
    where decisions._staged_at > {{ built_from_at }}
    union
    select
        executions.tenant_id,
        executions.task_execution_id
    from stg_router__task_executions as executions
    where executions._staged_at > {{ built_from_at }}
    {%- if loads_withdrawn_or_restored %}
    union
    select
        decisions.tenant_id,
        decisions.task_execution_id
    from stg_router__routing_decisions as decisions
    where not exists (
        select
        from {{ this }} as built
        where
            built.tenant_id = decisions.tenant_id
            and built.id = decisions.routing_decision_id
    )
    {%- endif %}
),

{% endif %}

-- The order int_task_executions_with_savings uses to pick the decision behind a baseline.
decisions_ranked as (
    select
        *,
        row_number() over (
            partition by tenant_id, task_execution_id
            order by decided_at desc nulls last, _loaded_at desc, routing_decision_id desc
        ) as decision_rank
    from stg_router__routing_decisions
    {% if is_incremental() %}
    where
        (tenant_id, task_execution_id) in (
            select
                tasks_to_rebuild.tenant_id,
                tasks_to_rebuild.task_execution_id
            from tasks_to_rebuild
        )
    {% endif %}
),

final as (
    select
        decisions.routing_decision_id as id,
        decisions.task_execution_id,
        decisions.tenant_id,
        decisions.selected_provider_key as provider_selected,
        decisions.routing_reason,
        decisions.routing_strategy,
        decisions.providers_evaluated,
        decisions.cost_estimates,
        decisions.user_preferences,
        decisions.is_embedded,
        decisions.decided_at,
        decisions._loaded_at as created_at,
        decisions.decision_rank = 1 as is_latest_for_task,
        executions.task_execution_id is not null as has_task_execution,
        greatest(decisions._loaded_at, executions._loaded_at) as _inputs_loaded_at,
        greatest(decisions._staged_at, executions._staged_at) as _inputs_staged_at
    from decisions_ranked as decisions
    left join stg_router__task_executions as executions
        on
            decisions.tenant_id = executions.tenant_id
            and decisions.task_execution_id = executions.task_execution_id
)

select * from final
