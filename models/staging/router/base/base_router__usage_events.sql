{{
    config(
        materialized='incremental',
        indexes=[
            {'columns': ['_load_id', '_line_number'], 'unique': true},
            {'columns': ['_staged_at']},
            {'columns': ['usage_event_id']},
        ],
    )
}}

with

{% if is_incremental() %}

-- The loads whose rows this build (re)stages (macros/incremental/raw_rows_to_stage.sql).
loads_to_stage as (
    {{ loads_to_stage(['usage_events']) }}
),

{% endif %}

usage_events as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        record
    from {{ source('router', 'usage_events') }}
    where {{ raw_rows_to_stage() }}
),

withdrawn_loads as (
    select load_id
    from {{ ref('base_router__withdrawn_loads') }}
),

fields_extracted as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        md5(cast(record as {{ dbt.type_string() }})) as record_content_hash,
        {{ json_text('record', 'id') }} as id_text,
        {%- for field in ['tenant_id', 'user_id', 'event_type'] %}
        {{ json_text('record', field) }} as {{ field }}_text,
        {{ json_type('record', field) }} as {{ field }}_json_type,
        {%- endfor %}
        {{ json_text('record', 'occurred_at') }} as occurred_at_text
    from usage_events
    {{ optimization_fence() }}
),

fields_typed as (
    select
        *,
        {{ try_cast_uuid('id_text') }} as usage_event_id,
        {{ dbt.date_trunc('millisecond', try_cast_timestamptz('occurred_at_text')) }}
            as occurred_at
    from fields_extracted
    {{ optimization_fence() }}
),

rules_checked as (
    select
        *,
        -- Every rule it breaks, in this order; null where a rule holds.
        array_remove(cast(array[
            case
                when id_text is null then 'missing_id'
                when usage_event_id is null then 'invalid_id'
            end,
            case
                when tenant_id_text is null then 'missing_tenant_id'
                when tenant_id_json_type <> 'string' then 'invalid_tenant_id'
                when not {{ is_valid_tenant_id('tenant_id_text') }}
                    then 'invalid_tenant_id'
            end,
            -- The loader pseudonymises every user_id; anything else was landed around it.
            case
                when user_id_json_type not in ('string', 'null') then 'invalid_user_id'
                when
                    not ({{ matches_pattern('user_id_text', var('user_id_pseudonym_pattern')) }})
                    then 'unpseudonymised_user_id'
            end,
            case
                when event_type_text is null then 'missing_event_type'
                when
                    event_type_json_type <> 'string'
                    or not {{ is_lowercase_identifier('event_type_text') }}
                    then 'invalid_event_type'
            end,
            case
                when occurred_at_text is null then 'missing_occurred_at'
                when occurred_at is null then 'invalid_occurred_at'
                when
                    occurred_at
                    > {{ dbt.dateadd('minute', var('max_future_minutes'), '_loaded_at') }}
                    then 'future_occurred_at'
                when occurred_at < cast('{{ var("min_event_at") }}' as timestamp with time zone)
                    then 'too_old_occurred_at'
            end
        ] as text[]), null) as rejection_reasons
    from fields_typed
    {{ optimization_fence() }}
),

reasons_collected as (
    select
        *,
        rejection_reasons[1] as rejection_reason
    from rules_checked
),

final as (
    select
        usage_event_id,
        tenant_id_text as tenant_id,
        user_id_text as user_id,
        event_type_text as event_type,
        occurred_at,
        coalesce(cast(usage_event_id as {{ dbt.type_string() }}), id_text) as record_key,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        record_content_hash,
        rejection_reason,
        rejection_reasons,
        rejection_reason is not null as is_rejected,
        _load_id in (select withdrawn_loads.load_id from withdrawn_loads) as is_withdrawn,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as _staged_at,
        '{{ staging_rules_version() }}' as _rules_version
    from reasons_collected
)

select * from final
