{% snapshot snp_provider_pricing %}

{%- set epoch = "cast('1970-01-01 00:00:00+00' as timestamp with time zone)" %}

with

stg_router__provider_pricing as (
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
        _loaded_at
    from {{ ref('stg_router__provider_pricing') }}
),

price_ids_added as (
    select
        {{ surrogate_key([
            'provider_key',
            'model',
            'pricing_tier',
            timestamp_diff_ms(epoch, 'effective_from_at'),
        ]) }} as price_id,
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
        _loaded_at
    from stg_router__provider_pricing
),

final as (
    select * from price_ids_added
)

select * from final

{% endsnapshot %}
