with

snp_provider_pricing as (
    select
        price_id,
        provider_key,
        model,
        pricing_tier,
        pricing_model,
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
        _loaded_at,
        dbt_valid_from
    from {{ ref('snp_provider_pricing') }}
    where dbt_valid_to is null
),

-- An open-ended row ends where the next row of the same (provider, model, tier) starts.
next_starts_found as (
    select
        *,
        lead(effective_from_at) over (
            partition by provider_key, model, pricing_tier
            order by effective_from_at
        ) as next_effective_from_at
    from snp_provider_pricing
),

final as (
    select
        price_id,
        provider_key,
        model,
        pricing_tier,
        pricing_model,
        cost_per_token_usd,
        input_cost_per_token_usd,
        output_cost_per_token_usd,
        cache_read_cost_per_token_usd,
        cache_write_cost_per_token_usd,
        cost_per_minute_usd,
        cost_per_request_usd,
        is_provider_wide,
        effective_from_at,
        _loaded_at,
        dbt_valid_from as _recorded_at,
        effective_until_at is null
        and next_effective_from_at is not null as is_until_from_next_row,
        coalesce(effective_until_at, next_effective_from_at) as effective_until_at
    from next_starts_found
)

select * from final
