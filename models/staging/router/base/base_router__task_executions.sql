{#- One partition per UTC landing month, as raw.task_executions (macros/partitions/): the
    unique index of a partitioned table must include the partition key, and every row of a
    load has the load's _loaded_at, so (_load_id, _line_number, _loaded_at) is as unique as
    (_load_id, _line_number). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete_insert_by_month',
        meta={'partitioned_by_month': '_loaded_at'},
        pre_hook="{{ partition_by_month_in_place(this) }}",
        post_hook="{{ name_month_partitions(this) }}",
        indexes=[
            {'columns': ['_load_id', '_line_number', '_loaded_at'], 'unique': true},
            {'columns': ['_staged_at']},
            {'columns': ['task_execution_id']},
            {'columns': ['provider_key', 'is_known_provider']},
        ],
    )
}}

{#- Fields of the contract that must be JSON strings when present. -#}
{%- set text_fields = [
    'tenant_id', 'task_id', 'agent_id', 'task_type', 'provider_used', 'model', 'pricing_tier',
    'provider_account_id', 'status', 'error_message', 'language', 'complexity',
] -%}
{%- set token_fields = [
    'tokens_used', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens',
] -%}
{%- set timestamp_fields = [('timestamp_start', 'started_at'), ('timestamp_end', 'ended_at')] -%}
{#- Sane range of event times (dbt_project.yml): not far after the record landed, not before
    the floor. -#}
{%- set latest_plausible_at = dbt.dateadd('minute', var('max_future_minutes'), '_loaded_at') -%}
{%- set earliest_plausible_at =
    "cast('" ~ var('min_event_at') ~ "' as timestamp with time zone)" -%}

with

{% if is_incremental() %}

-- The loads whose rows this build (re)stages (macros/incremental/raw_rows_to_stage.sql).
loads_to_stage as (
    {{ loads_to_stage(['task_executions'], 'provider_key') }}
),

{% endif %}

task_executions as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        record
    from {{ source('router', 'task_executions') }}
    where {{ raw_rows_to_stage('provider_key') }}
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
        record,
        {{ json_text('record', 'id') }} as id_text,
        {%- for field in text_fields %}
        {{ json_text('record', field) }} as {{ field }}_text,
        {{ json_type('record', field) }} as {{ field }}_json_type,
        {%- endfor %}
        {{ json_text('record', 'timestamp_start') }} as timestamp_start_text,
        {{ json_text('record', 'timestamp_end') }} as timestamp_end_text,
        {{ json_text('record', 'duration_ms') }} as duration_ms_text,
        {%- for field in token_fields %}
        {{ json_text('record', field) }} as {{ field }}_text,
        {%- endfor %}
        {{ json_text('record', 'cost_actual') }} as cost_actual_text,
        {{ json_text('record', 'cost_baseline') }} as cost_baseline_text,
        {{ json_text('record', 'quality_score') }} as quality_score_text,
        {{ json_value('record', 'metadata') }} as metadata_json,
        {{ json_type('record', 'metadata') }} as metadata_json_type,
        {{ json_type('record', 'routing_decision') }} as routing_decision_json_type
    from task_executions
    {{ optimization_fence() }}
),

fields_typed as (
    select
        *,
        {{ try_cast_uuid('id_text') }} as task_execution_id,
        {{ dbt.date_trunc('millisecond', try_cast_timestamptz('timestamp_start_text')) }}
            as started_at,
        {{ dbt.date_trunc('millisecond', try_cast_timestamptz('timestamp_end_text')) }}
            as ended_at,
        {{ json_bigint('record', 'duration_ms') }} as reported_duration_ms,
        {%- for field in token_fields %}
        {{ json_bigint('record', field) }} as {{ field }},
        {%- endfor %}
        {{ json_numeric('record', 'cost_actual') }} as reported_cost_usd,
        {{ json_numeric('record', 'cost_baseline') }} as reported_baseline_cost_usd,
        {{ json_numeric('record', 'quality_score') }} as quality_score,
        coalesce(
            provider_used_text in (select known_providers.provider_key from known_providers),
            false
        ) as is_known_provider,
        input_tokens_text is not null and output_tokens_text is not null as has_token_split
    from fields_extracted
    {{ optimization_fence() }}
),

values_derived as (
    select
        *,
        {{ timestamp_diff_ms('started_at', 'ended_at') }} as derived_duration_ms,
        case when has_token_split then input_tokens + output_tokens end as derived_tokens_used
    from fields_typed
),

rules_checked as (
    select
        *,
        -- Every rule it breaks, in this order; null where a rule holds.
        array_remove(cast(array[
            case
                when id_text is null then 'missing_id'
                when task_execution_id is null then 'invalid_id'
            end,
            {%- for field in ['tenant_id', 'task_id', 'agent_id'] %}
            case
                when {{ field }}_text is null then 'missing_{{ field }}'
                when {{ field }}_json_type <> 'string' then 'invalid_{{ field }}'
                {%- if field == 'tenant_id' %}
                when not {{ is_valid_tenant_id('tenant_id_text') }}
                    then 'invalid_tenant_id'
                {%- else %}
                when {{ field }}_text = '{{ var("redacted_identifier") }}'
                    then 'sensitive_{{ field }}'
                {%- endif %}
            end,
            {%- endfor %}
            case
                when task_type_text is null then 'missing_task_type'
                when task_type_json_type <> 'string' then 'invalid_task_type'
                when task_type_text not in ({{ sql_string_list(var('router_task_types')) }})
                    then 'unknown_task_type'
            end,
            {%- for field, column in timestamp_fields %}
            case
                when {{ field }}_text is null then 'missing_{{ field }}'
                when {{ column }} is null then 'invalid_{{ field }}'
                when {{ column }} > {{ latest_plausible_at }} then 'future_{{ field }}'
                when {{ column }} < {{ earliest_plausible_at }} then 'too_old_{{ field }}'
            end,
            {%- endfor %}
            case
                when ended_at < started_at then 'end_before_start'
            end,
            case
                when duration_ms_text is not null and reported_duration_ms is null
                    then 'invalid_duration_ms'
                when reported_duration_ms < 0 then 'negative_duration_ms'
                when reported_duration_ms > {{ var('max_task_duration_ms') }}
                    then 'out_of_range_duration_ms'
                when abs(reported_duration_ms - derived_duration_ms) > 1000 then 'duration_mismatch'
            end,
            case
                when provider_used_text is null then 'missing_provider_used'
                when provider_used_json_type <> 'string' then 'invalid_provider_used'
                when not is_known_provider then 'unknown_provider'
            end,
            case
                when model_json_type not in ('string', 'null') then 'invalid_model'
                when model_text = '{{ var("redacted_identifier") }}' then 'sensitive_model'
            end,
            case
                when
                    pricing_tier_json_type not in ('string', 'null')
                    or not {{ is_lowercase_identifier('pricing_tier_text') }}
                    then 'invalid_pricing_tier'
            end,
            case
                when provider_account_id_json_type not in ('string', 'null')
                    then 'invalid_provider_account_id'
                when provider_account_id_text = '{{ var("redacted_identifier") }}'
                    then 'sensitive_provider_account_id'
            end,
            {%- for field in token_fields %}
            case
                when {{ field }}_text is not null and {{ field }} is null then 'invalid_{{ field }}'
            end,
            {%- endfor %}
            case
                when
                    tokens_used < 0
                    or input_tokens < 0
                    or output_tokens < 0
                    or cache_read_tokens < 0
                    or cache_write_tokens < 0
                    then 'negative_tokens'
                when
                    greatest(
                        tokens_used, input_tokens, output_tokens,
                        cache_read_tokens, cache_write_tokens
                    ) > {{ var('max_tokens_per_task') }}
                    then 'out_of_range_tokens'
            end,
            case
                when (input_tokens_text is null) <> (output_tokens_text is null)
                    then 'incomplete_token_split'
                when
                    (cache_read_tokens_text is not null or cache_write_tokens_text is not null)
                    and not has_token_split
                    then 'incomplete_token_split'
                when tokens_used_text is null and not has_token_split then 'missing_tokens'
            end,
            case
                when tokens_used <> derived_tokens_used then 'tokens_mismatch'
            end,
            case
                when coalesce(cache_read_tokens, 0) + coalesce(cache_write_tokens, 0) > input_tokens
                    then 'cache_exceeds_input'
            end,
            case
                when cost_actual_text is not null and reported_cost_usd is null
                    then 'invalid_cost_actual'
                when reported_cost_usd < 0 then 'negative_cost_actual'
                when
                    reported_cost_usd > {{ var('max_task_cost_usd') }}
                    or (
                        reported_cost_usd > 0
                        and reported_cost_usd < {{ var('min_positive_money_usd') }}
                    )
                    then 'out_of_range_cost_actual'
            end,
            case
                when cost_baseline_text is not null and reported_baseline_cost_usd is null
                    then 'invalid_cost_baseline'
                when reported_baseline_cost_usd < 0 then 'negative_cost_baseline'
                when
                    reported_baseline_cost_usd > {{ var('max_task_cost_usd') }}
                    or (
                        reported_baseline_cost_usd > 0
                        and reported_baseline_cost_usd < {{ var('min_positive_money_usd') }}
                    )
                    then 'out_of_range_cost_baseline'
            end,
            case
                when status_text is null then 'missing_status'
                when status_json_type <> 'string' then 'invalid_status'
                when status_text not in ({{ sql_string_list(var('router_execution_statuses')) }})
                    then 'unknown_status'
            end,
            case
                when error_message_json_type not in ('string', 'null') then 'invalid_error_message'
            end,
            case
                when language_json_type not in ('string', 'null') then 'invalid_language'
                when language_text = '{{ var("redacted_identifier") }}' then 'sensitive_language'
            end,
            case
                when complexity_json_type not in ('string', 'null') then 'invalid_complexity'
                when complexity_text not in ({{ sql_string_list(var('router_complexities')) }})
                    then 'unknown_complexity'
            end,
            case
                when
                    quality_score_text is not null
                    and (quality_score is null or quality_score < 0 or quality_score > 100)
                    then 'invalid_quality_score'
            end,
            case
                when metadata_json_type not in ('object', 'null') then 'invalid_metadata'
            end,
            case
                when routing_decision_json_type not in ('object', 'null')
                    then 'invalid_routing_decision'
            end
        ] as text[]), null) as rejection_reasons
    from values_derived
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
        task_execution_id,
        tenant_id_text as tenant_id,
        task_id_text as task_id,
        agent_id_text as agent_id,
        provider_account_id_text as provider_account_id,
        task_type_text as task_type,
        provider_used_text as provider_key,
        model_text as model,
        coalesce(pricing_tier_text, 'standard') as pricing_tier,
        status_text as status,
        language_text as language,
        complexity_text as complexity,
        {{ redact_sensitive_text('error_message_text') }} as error_message,
        case
            when metadata_json_type = 'object'
                then {{ scrub_sensitive_entries('metadata_json') }}
            when metadata_json_type is null or metadata_json_type = 'null'
                then {{ dbt.cast("'{}'", 'jsonb') }}
        end as metadata,
        coalesce(reported_duration_ms, derived_duration_ms) as duration_ms,
        coalesce(tokens_used, derived_tokens_used) as tokens_used,
        input_tokens,
        output_tokens,
        case when has_token_split then coalesce(cache_read_tokens, 0) end as cache_read_tokens,
        case when has_token_split then coalesce(cache_write_tokens, 0) end as cache_write_tokens,
        reported_cost_usd,
        reported_baseline_cost_usd,
        quality_score,
        has_token_split,
        tokens_used is null as is_tokens_used_derived,
        reported_duration_ms is null as is_duration_derived,
        coalesce(routing_decision_json_type = 'object', false) as has_embedded_routing_decision,
        started_at,
        ended_at,
        coalesce(cast(task_execution_id as {{ dbt.type_string() }}), id_text) as record_key,
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
