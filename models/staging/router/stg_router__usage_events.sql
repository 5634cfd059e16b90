{{
    config(
        unique_key=['tenant_id', 'usage_event_id'],
        versions_model='base_router__usage_events',
        indexes=[
            {'columns': ['tenant_id', 'usage_event_id'], 'unique': true},
            {'columns': ['_staged_at']},
            {'columns': ['tenant_id', 'occurred_at']},
            {'columns': ['tenant_id', 'user_id', 'occurred_at']},
        ],
    )
}}

with

base_router__usage_events as (
    select
        usage_event_id,
        tenant_id,
        user_id,
        event_type,
        occurred_at,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        is_rejected,
        is_withdrawn
    from {{ ref('base_router__usage_events') }}
    {%- if is_incremental() %}
    -- Every version of each key that has one (re)staged since the last build.
    where {{ restaged_key() }} in ({{ keys_restaged_since_last_build() }})
    {%- endif %}
),

versions_ranked as (
    select
        *,
        row_number() over (
            partition by tenant_id, usage_event_id
            order by _loaded_at desc, _load_id desc, _line_number desc
        ) as version_rank
    from base_router__usage_events
    where not is_rejected and not is_withdrawn
),

final as (
    select
        usage_event_id,
        tenant_id,
        user_id,
        event_type,
        occurred_at,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as _staged_at
    from versions_ranked
    where version_rank = 1
)

select * from final
