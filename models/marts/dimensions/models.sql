{{
    config(
        indexes=[{'columns': ['provider', 'model'], 'unique': true}],
    )
}}

with

int_provider_prices_effective as (
    select
        provider_key,
        model,
        pricing_tier,
        pricing_model,
        effective_from_at,
        effective_until_at
    from {{ ref('int_provider_prices_effective') }}
    -- A provider-wide row prices every model of its provider and names none.
    where not is_provider_wide
),

-- The pricing model of the newest price row of each model (ties: the tier name decides, so
-- that the choice is stable from build to build).
newest_prices_ranked as (
    select
        provider_key,
        model,
        pricing_model,
        row_number() over (
            partition by provider_key, model
            order by effective_from_at desc, pricing_tier asc
        ) as newest_rank
    from int_provider_prices_effective
),

prices_aggregated as (
    select
        provider_key,
        model,
        count(distinct pricing_tier) as pricing_tiers,
        min(effective_from_at) as first_priced_at,
        max(case when effective_until_at is null then 1 else 0 end) = 1 as has_open_ended_price,
        max(effective_until_at) as last_priced_until_at
    from int_provider_prices_effective
    group by provider_key, model
),

final as (
    select
        prices_aggregated.provider_key as provider,
        prices_aggregated.model,
        newest_prices_ranked.pricing_model as current_pricing_model,
        prices_aggregated.pricing_tiers,
        prices_aggregated.has_open_ended_price,
        prices_aggregated.first_priced_at,
        case
            when not prices_aggregated.has_open_ended_price
                then prices_aggregated.last_priced_until_at
        end as last_priced_until_at
    from prices_aggregated
    inner join newest_prices_ranked
        on
            prices_aggregated.provider_key = newest_prices_ranked.provider_key
            and prices_aggregated.model = newest_prices_ranked.model
            and newest_prices_ranked.newest_rank = 1
)

select * from final
