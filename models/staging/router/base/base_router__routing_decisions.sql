{{
    config(
        materialized='incremental',
        indexes=[
            {'columns': ['_load_id', '_line_number'], 'unique': true},
            {'columns': ['_staged_at']},
            {'columns': ['routing_decision_id']},
            {'columns': ['tenant_id', 'task_execution_id']},
            {'columns': ['selected_provider_key', 'is_known_provider']},
        ],
    )
}}

{#-
    Routing decisions arrive two ways: as records of their own (raw.routing_decisions) and
    embedded in their task execution (raw.task_executions, field routing_decision, which then
    has no task_execution_id and tenant_id: they are the parent's). Both are typed and checked
    here alike, one row per raw decision. An embedded decision keeps the lineage of its parent
    line. A routing_decision that is not a JSON object is not a decision row: the parent
    execution is rejected for it (invalid_routing_decision).
-#}
{%- set text_fields = ['tenant_id', 'provider_selected', 'routing_reason', 'routing_strategy'] -%}
{%- set known_provider_keys = 'select known_providers.provider_key from known_providers' -%}

with

{% if is_incremental() %}

-- The loads whose rows this build (re)stages (macros/incremental/raw_rows_to_stage.sql).
loads_to_stage as (
    {{ loads_to_stage(['routing_decisions', 'task_executions'], 'selected_provider_key') }}
),

{% endif %}

routing_decisions as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        record
    from {{ source('router', 'routing_decisions') }}
    where {{ raw_rows_to_stage('selected_provider_key') }}
),

withdrawn_loads as (
    select load_id
    from {{ ref('base_router__withdrawn_loads') }}
),

-- The parent execution lines that carry an embedded decision (see the note at the top).
task_executions as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        record
    from {{ source('router', 'task_executions') }}
    where
        {{ json_type('record', 'routing_decision') }} = 'object'
        and {{ raw_rows_to_stage('selected_provider_key') }}
),

known_providers as (
    select provider_key
    from {{ ref('base_router__known_providers') }}
),

standalone_decisions_extracted as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        false as is_embedded,
        record as decision_json,
        md5(cast(record as {{ dbt.type_string() }})) as record_content_hash,
        {{ json_text('record', 'task_execution_id') }} as task_execution_id_text,
        {{ json_text('record', 'tenant_id') }} as tenant_id_text,
        {{ json_type('record', 'tenant_id') }} as tenant_id_json_type
    from routing_decisions
),

embedded_decisions_extracted as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        true as is_embedded,
        {{ json_value('record', 'routing_decision') }} as decision_json,
        -- The parent's id is part of an embedded decision's content (it has no field of its own).
        md5(
            coalesce({{ json_text('record', 'id') }}, '')
            || cast({{ json_value('record', 'routing_decision') }} as {{ dbt.type_string() }})
        ) as record_content_hash,
        {{ json_text('record', 'id') }} as task_execution_id_text,
        {{ json_text('record', 'tenant_id') }} as tenant_id_text,
        {{ json_type('record', 'tenant_id') }} as tenant_id_json_type
    from task_executions
),

decisions_unioned as (
    select * from standalone_decisions_extracted
    union all
    select * from embedded_decisions_extracted
),

fields_extracted as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        record_content_hash,
        is_embedded,
        task_execution_id_text,
        tenant_id_text,
        tenant_id_json_type,
        {{ json_text('decision_json', 'id') }} as id_text,
        {%- for field in text_fields if field != 'tenant_id' %}
        {{ json_text('decision_json', field) }} as {{ field }}_text,
        {{ json_type('decision_json', field) }} as {{ field }}_json_type,
        {%- endfor %}
        {{ json_text('decision_json', 'decided_at') }} as decided_at_text,
        {{ json_value('decision_json', 'providers_evaluated') }} as providers_evaluated_json,
        {{ json_type('decision_json', 'providers_evaluated') }} as providers_evaluated_json_type,
        {{ json_value('decision_json', 'cost_estimates') }} as cost_estimates_json,
        {{ json_type('decision_json', 'cost_estimates') }} as cost_estimates_json_type,
        {{ json_value('decision_json', 'user_preferences') }} as user_preferences_json,
        {{ json_type('decision_json', 'user_preferences') }} as user_preferences_json_type
    from decisions_unioned
    {{ optimization_fence() }}
),

fields_typed as (
    select
        *,
        {{ try_cast_uuid('id_text') }} as routing_decision_id,
        {{ try_cast_uuid('task_execution_id_text') }} as task_execution_id,
        {{ dbt.date_trunc('millisecond', try_cast_timestamptz('decided_at_text')) }}
            as decided_at,
        coalesce(provider_selected_text in ({{ known_provider_keys }}), false)
            as is_known_provider,
        case
            when providers_evaluated_json_type = 'array'
                then not jsonb_path_exists(
                    providers_evaluated_json, 'strict $[*] ? (@.type() != "string")', '{}', true
                )
        end as is_providers_evaluated_valid,
        case
            when cost_estimates_json_type = 'object'
                then {{ json_object_values_to_numbers('cost_estimates_json') }}
        end as cost_estimates_in_numbers
    from fields_extracted
    {{ optimization_fence() }}
),

-- Separate step (and case, not and): the set-returning JSON functions raise on a non-array
-- or non-object, so they may only run once the type is known to be right.
evaluated_providers_checked as (
    select
        fields_typed.*,
        {{ json_object_values_are_non_negative_numbers('fields_typed.cost_estimates_in_numbers') }}
            as is_cost_estimates_valid,
        case
            when fields_typed.is_providers_evaluated_valid
                then not exists (
                    select
                    from
                        jsonb_array_elements_text(fields_typed.providers_evaluated_json)
                            as evaluated (provider_key)
                    where evaluated.provider_key not in ({{ known_provider_keys }})
                )
        end as has_only_known_evaluated_providers,
        case
            when fields_typed.cost_estimates_json_type = 'object'
                then not exists (
                    select
                    from
                        jsonb_object_keys(fields_typed.cost_estimates_json)
                            as estimated (provider_key)
                    where estimated.provider_key not in ({{ known_provider_keys }})
                )
        end as has_only_known_estimated_providers
    from fields_typed
),

rules_checked as (
    select
        *,
        -- Every rule it breaks, in this order; null where a rule holds.
        array_remove(cast(array[
            case
                when id_text is null then 'missing_id'
                when routing_decision_id is null then 'invalid_id'
            end,
            case
                when task_execution_id_text is null then 'missing_task_execution_id'
                when task_execution_id is null then 'invalid_task_execution_id'
            end,
            case
                when tenant_id_text is null then 'missing_tenant_id'
                when tenant_id_json_type <> 'string' then 'invalid_tenant_id'
                when not {{ is_valid_tenant_id('tenant_id_text') }}
                    then 'invalid_tenant_id'
            end,
            case
                when provider_selected_text is null then 'missing_provider_selected'
                when provider_selected_json_type <> 'string' then 'invalid_provider_selected'
                when not is_known_provider then 'unknown_provider'
            end,
            case
                when routing_reason_text is null then 'missing_routing_reason'
                when routing_reason_json_type <> 'string' then 'invalid_routing_reason'
                when
                    routing_reason_text
                    not in ({{ sql_string_list(var('router_routing_reasons')) }})
                    then 'unknown_routing_reason'
            end,
            case
                when decided_at_text is not null and decided_at is null then 'invalid_decided_at'
                when
                    decided_at
                    > {{ dbt.dateadd('minute', var('max_future_minutes'), '_loaded_at') }}
                    then 'future_decided_at'
                when decided_at < cast('{{ var("min_event_at") }}' as timestamp with time zone)
                    then 'too_old_decided_at'
            end,
            case
                when
                    providers_evaluated_json_type not in ('array', 'null')
                    or not is_providers_evaluated_valid
                    then 'invalid_providers_evaluated'
            end,
            case
                when
                    cost_estimates_json_type not in ('object', 'null')
                    or not is_cost_estimates_valid
                    then 'invalid_cost_estimates'
            end,
            case
                when
                    not has_only_known_evaluated_providers
                    or not has_only_known_estimated_providers
                    then 'unknown_evaluated_provider'
            end,
            case
                when routing_strategy_json_type not in ('string', 'null')
                    then 'invalid_routing_strategy'
                when routing_strategy_text = '{{ var("redacted_identifier") }}'
                    then 'sensitive_routing_strategy'
            end,
            case
                when user_preferences_json_type not in ('object', 'null')
                    then 'invalid_user_preferences'
            end
        ] as text[]), null) as rejection_reasons
    from evaluated_providers_checked
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
        routing_decision_id,
        task_execution_id,
        tenant_id_text as tenant_id,
        provider_selected_text as selected_provider_key,
        routing_reason_text as routing_reason,
        routing_strategy_text as routing_strategy,
        case
            when is_providers_evaluated_valid then providers_evaluated_json
            when providers_evaluated_json_type is null or providers_evaluated_json_type = 'null'
                then {{ dbt.cast("'[]'", 'jsonb') }}
        end as providers_evaluated,
        case
            when is_cost_estimates_valid then cost_estimates_in_numbers
            when cost_estimates_json_type is null or cost_estimates_json_type = 'null'
                then {{ dbt.cast("'{}'", 'jsonb') }}
        end as cost_estimates,
        case
            when user_preferences_json_type = 'object'
                then {{ scrub_sensitive_entries('user_preferences_json') }}
            when user_preferences_json_type is null or user_preferences_json_type = 'null'
                then {{ dbt.cast("'{}'", 'jsonb') }}
        end as user_preferences,
        is_embedded,
        decided_at,
        coalesce(cast(routing_decision_id as {{ dbt.type_string() }}), id_text) as record_key,
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
