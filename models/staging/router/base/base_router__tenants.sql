{{
    config(
        materialized='incremental',
        indexes=[
            {'columns': ['_load_id', '_line_number'], 'unique': true},
            {'columns': ['_staged_at']},
            {'columns': ['default_provider_key', 'is_known_provider']},
        ],
    )
}}

with

{% if is_incremental() %}

-- The loads whose rows this build (re)stages (macros/incremental/raw_rows_to_stage.sql).
loads_to_stage as (
    {{ loads_to_stage(['tenants'], 'default_provider_key') }}
),

{% endif %}

tenants as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        record
    from {{ source('router', 'tenants') }}
    where {{ raw_rows_to_stage('default_provider_key') }}
),

withdrawn_loads as (
    select load_id
    from {{ ref('base_router__withdrawn_loads') }}
),

known_providers as (
    select provider_key
    from {{ ref('base_router__known_providers') }}
),

fields_extracted as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        md5(cast(record as {{ dbt.type_string() }})) as record_content_hash,
        {%- for field in ['tenant_id', 'default_provider', 'default_model', 'plan'] %}
        {{ json_text('record', field) }} as {{ field }}_text,
        {{ json_type('record', field) }} as {{ field }}_json_type,
        {%- endfor %}
        {{ json_text('record', 'created_at') }} as created_at_text
    from tenants
    {{ optimization_fence() }}
),

fields_typed as (
    select
        *,
        {{ dbt.date_trunc('millisecond', try_cast_timestamptz('created_at_text')) }}
            as created_at,
        coalesce(
            default_provider_text in (select known_providers.provider_key from known_providers),
            false
        ) as is_known_provider
    from fields_extracted
    {{ optimization_fence() }}
),

rules_checked as (
    select
        *,
        -- Every rule it breaks, in this order; null where a rule holds.
        array_remove(cast(array[
            case
                when tenant_id_text is null then 'missing_tenant_id'
                when tenant_id_json_type <> 'string' then 'invalid_tenant_id'
                when not {{ is_valid_tenant_id('tenant_id_text') }}
                    then 'invalid_tenant_id'
            end,
            case
                when default_provider_text is null then 'missing_default_provider'
                when default_provider_json_type <> 'string' then 'invalid_default_provider'
                when not is_known_provider then 'unknown_provider'
            end,
            case
                when default_model_json_type not in ('string', 'null') then 'invalid_default_model'
            end,
            case
                when plan_text is null then 'missing_plan'
                when plan_json_type <> 'string' then 'invalid_plan'
                when plan_text not in ({{ sql_string_list(var('router_plans')) }})
                    then 'unknown_plan'
            end,
            case
                when created_at_text is not null and created_at is null then 'invalid_created_at'
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
        tenant_id_text as tenant_id,
        default_provider_text as default_provider_key,
        default_model_text as default_model,
        plan_text as plan,
        created_at,
        tenant_id_text as record_key,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        record_content_hash,
        rejection_reason,
        rejection_reasons,
        rejection_reason is not null as is_rejected,
        _load_id in (select withdrawn_loads.load_id from withdrawn_loads) as is_withdrawn,
        is_known_provider,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as _staged_at,
        '{{ staging_rules_version() }}' as _rules_version
    from reasons_collected
)

select * from final
