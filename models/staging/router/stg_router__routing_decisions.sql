{{
    config(
        unique_key=['tenant_id', 'routing_decision_id'],
        versions_model='base_router__routing_decisions',
        indexes=[
            {'columns': ['tenant_id', 'routing_decision_id'], 'unique': true},
            {'columns': ['_staged_at']},
            {'columns': ['tenant_id', 'task_execution_id']},
        ],
    )
}}

with

base_router__routing_decisions as (
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
        _source_file,
        _line_number,
        _loaded_at,
        is_rejected,
        is_withdrawn
    from {{ ref('base_router__routing_decisions') }}
    {%- if is_incremental() %}
    -- Every version of each key that has one (re)staged since the last build.
    where {{ restaged_key() }} in ({{ keys_restaged_since_last_build() }})
    {%- endif %}
),

versions_ranked as (
    select
        *,
        row_number() over (
            partition by tenant_id, routing_decision_id
            order by _loaded_at desc, _load_id desc, _line_number desc
        ) as version_rank
    from base_router__routing_decisions
    where not is_rejected and not is_withdrawn
),

final as (
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
        _source_file,
        _line_number,
        _loaded_at,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as _staged_at
    from versions_ranked
    where version_rank = 1
)

select * from final
