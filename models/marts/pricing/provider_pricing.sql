{{
    config(
        indexes=[
            {'columns': ['provider', 'effective_from']},
            {'columns': ['id'], 'unique': true},
        ],
    )
}}

with

snp_provider_pricing as (
    select
        dbt_scd_id,
        price_id,
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
        dbt_valid_from,
        dbt_valid_to,
        _loaded_at
    from {{ ref('snp_provider_pricing') }}
),

int_provider_prices_effective as (
    select
        price_id,
        effective_until_at
    from {{ ref('int_provider_prices_effective') }}
),

final as (
    select
        versions.dbt_scd_id as id,
        versions.price_id,
        versions.provider_key as provider,
        versions.model,
        versions.pricing_tier,
        versions.pricing_model,
        versions.currency,
        versions.source_url,
        versions.cost_per_token_usd as cost_per_token,
        versions.input_cost_per_token_usd as input_cost_per_token,
        versions.output_cost_per_token_usd as output_cost_per_token,
        versions.cache_read_cost_per_token_usd as cache_read_cost_per_token,
        versions.cache_write_cost_per_token_usd as cache_write_cost_per_token,
        versions.cost_per_minute_usd as cost_per_minute,
        versions.cost_per_request_usd as cost_per_request,
        versions.is_provider_wide,
        versions.effective_from_at as effective_from,
        versions.effective_until_at as effective_until,
        versions._loaded_at as last_updated,
        versions.dbt_valid_to is null as is_current_version,
        case
            when versions.dbt_valid_to is null then effective.effective_until_at
        end as effective_until_resolved,
        cast(versions.dbt_valid_from as timestamp) at time zone 'UTC' as version_recorded_at,
        cast(versions.dbt_valid_to as timestamp) at time zone 'UTC' as version_superseded_at
    from snp_provider_pricing as versions
    left join int_provider_prices_effective as effective
        on versions.price_id = effective.price_id
)

select * from final
