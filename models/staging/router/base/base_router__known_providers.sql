with

providers as (
    select provider_key
    from {{ ref('provider_catalog') }}
),

base_router__provider_pricing as (
    select
        provider_key,
        is_rejected,
        is_withdrawn
    from {{ ref('base_router__provider_pricing') }}
),

providers_with_valid_prices as (
    select provider_key
    from base_router__provider_pricing
    where not is_rejected and not is_withdrawn
),

-- union, not union all: a provider can be in the seed and have many price rows.
final as (
    select provider_key from providers
    union
    select provider_key from providers_with_valid_prices
)

select * from final
