{%- set rates = [
    'cost_per_token',
    'input_cost_per_token',
    'output_cost_per_token',
    'cache_read_cost_per_token',
    'cache_write_cost_per_token',
    'cost_per_minute',
    'cost_per_request',
] -%}
{%- set text_fields = [
    'provider', 'model', 'pricing_tier', 'pricing_model', 'currency', 'source_url',
] -%}

with

provider_pricing as (
    select
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        record
    from {{ source('router', 'provider_pricing') }}
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
        record,
        {%- for field in text_fields %}
        {{ json_text('record', field) }} as {{ field }}_text,
        {{ json_type('record', field) }} as {{ field }}_json_type,
        {%- endfor %}
        {%- for rate in rates %}
        {{ json_text('record', rate) }} as {{ rate }}_text,
        {%- endfor %}
        {{ json_text('record', 'effective_from') }} as effective_from_text,
        {{ json_text('record', 'effective_until') }} as effective_until_text
    from provider_pricing
    {{ optimization_fence() }}
),

fields_typed as (
    select
        *,
        {%- for rate in rates %}
        {{ json_numeric('record', rate) }} as {{ rate }}_usd,
        {%- endfor %}
        {{ dbt.date_trunc('millisecond', try_cast_timestamptz('effective_from_text')) }}
            as effective_from_at,
        {{ dbt.date_trunc('millisecond', try_cast_timestamptz('effective_until_text')) }}
            as effective_until_at
    from fields_extracted
    {{ optimization_fence() }}
),

rules_checked as (
    select
        *,
        -- Every rule it breaks, in this order; null where a rule holds.
        array_remove(cast(array[
            case
                when provider_text is null then 'missing_provider'
                when
                    provider_json_type <> 'string'
                    or not {{ is_lowercase_identifier('provider_text') }}
                    then 'invalid_provider'
            end,
            case
                when model_json_type not in ('string', 'null') then 'invalid_model'
            end,
            case
                when
                    pricing_tier_json_type not in ('string', 'null')
                    or not {{ is_lowercase_identifier('pricing_tier_text') }}
                    then 'invalid_pricing_tier'
            end,
            case
                when pricing_model_text is null then 'missing_pricing_model'
                when pricing_model_json_type <> 'string' then 'invalid_pricing_model'
                when
                    pricing_model_text not in ({{ sql_string_list(var('router_pricing_models')) }})
                    then 'unknown_pricing_model'
            end,
            {%- for rate in rates %}
            case
                when {{ rate }}_text is not null and {{ rate }}_usd is null
                    then 'invalid_{{ rate }}'
                when {{ rate }}_usd < 0 then 'negative_{{ rate }}'
                when
                    {{ rate }}_usd > {{ var('max_price_rate_usd') }}
                    or ({{ rate }}_usd > 0 and {{ rate }}_usd < {{ var('min_positive_money_usd') }})
                    then 'out_of_range_{{ rate }}'
            end,
            {%- endfor %}
            case
                when
                    pricing_model_text = 'token'
                    and cost_per_token_usd is null
                    and input_cost_per_token_usd is null
                    and output_cost_per_token_usd is null
                    then 'missing_rates'
                when pricing_model_text = 'time' and cost_per_minute_usd is null
                    then 'missing_rates'
                when pricing_model_text = 'request' and cost_per_request_usd is null
                    then 'missing_rates'
                when
                    pricing_model_text = 'hybrid'
                    {%- for rate in rates %}
                    and {{ rate }}_usd is null
                    {%- endfor %}
                    then 'missing_rates'
            end,
            case
                when currency_json_type not in ('string', 'null') then 'invalid_currency'
                when upper(currency_text) <> 'USD' then 'unsupported_currency'
            end,
            case
                when effective_from_text is null then 'missing_effective_from'
                when effective_from_at is null then 'invalid_effective_from'
                -- A price may be announced ahead of its start, not years ahead.
                when
                    effective_from_at
                    > {{ dbt.dateadd('day', var('max_price_lead_days'), '_loaded_at') }}
                    then 'future_effective_from'
                when
                    effective_from_at
                    < cast('{{ var("min_event_at") }}' as timestamp with time zone)
                    then 'too_old_effective_from'
            end,
            case
                when effective_until_text is not null and effective_until_at is null
                    then 'invalid_effective_until'
                when effective_until_at <= effective_from_at then 'until_not_after_from'
            end,
            case
                when source_url_json_type not in ('string', 'null') then 'invalid_source_url'
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
        provider_text as provider_key,
        model_text as model,
        coalesce(pricing_tier_text, 'standard') as pricing_tier,
        pricing_model_text as pricing_model,
        coalesce(upper(currency_text), 'USD') as currency,
        source_url_text as source_url,
        {%- for rate in rates %}
        {{ rate }}_usd,
        {%- endfor %}
        model_text is null as is_provider_wide,
        effective_from_at,
        effective_until_at,
        {{ dbt.concat([
            "coalesce(provider_text, '')",
            "'|'",
            "coalesce(model_text, '')",
            "'|'",
            "coalesce(pricing_tier_text, 'standard')",
            "'|'",
            "coalesce(effective_from_text, '')",
        ]) }} as record_key,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at,
        record_content_hash,
        rejection_reason,
        rejection_reasons,
        rejection_reason is not null as is_rejected,
        _load_id in (select withdrawn_loads.load_id from withdrawn_loads) as is_withdrawn,
        -- Every build rebuilds this table whole: each row is staged by this build.
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as _staged_at
    from reasons_collected
)

select * from final
