{{
    config(
        indexes=[{'columns': ['tenant_id'], 'unique': true}],
    )
}}

with

stg_router__tenants as (
    select
        tenant_id,
        default_provider_key,
        default_model,
        plan,
        created_at,
        _loaded_at
    from {{ ref('stg_router__tenants') }}
),

final as (
    select
        tenant_id,
        plan,
        default_provider_key as default_provider,
        default_model,
        created_at,
        _loaded_at as updated_at
    from stg_router__tenants
)

select * from final
