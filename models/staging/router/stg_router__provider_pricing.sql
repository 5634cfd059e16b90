with

base_router__provider_pricing as (
    select
        provider_key,
        model,
        pricing_tier,
        pricing_model,
        currency,
        source_url,
        cost_per_token_usd,
        input_cost_per_token_usd,
        output_cost_per_token_usd,
        cache_read_cost_per_token_usd,
        cache_write_cost_per_token_usd,
        cost_per_minute_usd,
        cost_per_request_usd,
        is_provider_wide,
        effective_from_at,
        effective_until_at,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at
    from {{ ref('base_router__provider_pricing') }}
    where not is_rejected and not is_withdrawn
),

-- A price row has no id: (provider, model, tier, effective from) is its key.
versions_ranked as (
    select
        *,
        row_number() over (
            partition by provider_key, model, pricing_tier, effective_from_at
            order by _loaded_at desc, _load_id desc, _line_number desc
        ) as version_rank
    from base_router__provider_pricing
),

final as (
    select
        provider_key,
        model,
        pricing_tier,
        pricing_model,
        currency,
        source_url,
        cost_per_token_usd,
        input_cost_per_token_usd,
        output_cost_per_token_usd,
        cache_read_cost_per_token_usd,
        cache_write_cost_per_token_usd,
        cost_per_minute_usd,
        cost_per_request_usd,
        is_provider_wide,
        effective_from_at,
        effective_until_at,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at
    from versions_ranked
    where version_rank = 1
)

select * from final
