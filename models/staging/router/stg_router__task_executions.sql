{{
    config(
        unique_key=['tenant_id', 'task_execution_id'],
        versions_model='base_router__task_executions',
        indexes=[
            {'columns': ['tenant_id', 'task_execution_id'], 'unique': true},
            {'columns': ['_staged_at']},
            {'columns': ['tenant_id', 'started_at']},
        ],
    )
}}

with

base_router__task_executions as (
    select
        task_execution_id,
        tenant_id,
        task_id,
        agent_id,
        provider_account_id,
        task_type,
        provider_key,
        model,
        pricing_tier,
        status,
        language,
        complexity,
        error_message,
        metadata,
        duration_ms,
        tokens_used,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        reported_cost_usd,
        reported_baseline_cost_usd,
        quality_score,
        has_token_split,
        is_tokens_used_derived,
        is_duration_derived,
        has_embedded_routing_decision,
        started_at,
        ended_at,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        is_rejected,
        is_withdrawn
    from {{ ref('base_router__task_executions') }}
    {%- if is_incremental() %}
    -- Every version of each key that has one (re)staged since the last build.
    where {{ restaged_key() }} in ({{ keys_restaged_since_last_build() }})
    {%- endif %}
),

versions_ranked as (
    select
        *,
        row_number() over (
            partition by tenant_id, task_execution_id
            order by _loaded_at desc, _load_id desc, _line_number desc
        ) as version_rank
    from base_router__task_executions
    where not is_rejected and not is_withdrawn
),

final as (
    select
        task_execution_id,
        tenant_id,
        task_id,
        agent_id,
        provider_account_id,
        task_type,
        provider_key,
        model,
        pricing_tier,
        status,
        language,
        complexity,
        error_message,
        metadata,
        duration_ms,
        tokens_used,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        reported_cost_usd,
        reported_baseline_cost_usd,
        quality_score,
        has_token_split,
        is_tokens_used_derived,
        is_duration_derived,
        has_embedded_routing_decision,
        started_at,
        ended_at,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as _staged_at
    from versions_ranked
    where version_rank = 1
)

select * from final
