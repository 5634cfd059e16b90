{{
    config(
        indexes=[{'columns': ['provider'], 'unique': true}],
    )
}}

with

base_router__known_providers as (
    select provider_key
    from {{ ref('base_router__known_providers') }}
),

providers as (
    select
        provider_key,
        display_name,
        homepage_url
    from {{ ref('provider_catalog') }}
),

final as (
    select
        known_providers.provider_key as provider,
        providers.homepage_url,
        coalesce(providers.display_name, known_providers.provider_key) as display_name,
        providers.provider_key is not null as has_curated_name
    from base_router__known_providers as known_providers
    left join providers
        on known_providers.provider_key = providers.provider_key
)

select * from final
