with

base_router__tenants as (
    select
        tenant_id,
        default_provider_key,
        default_model,
        plan,
        created_at,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at
    from {{ ref('base_router__tenants') }}
    where not is_rejected and not is_withdrawn
),

versions_ranked as (
    select
        *,
        row_number() over (
            partition by tenant_id
            order by _loaded_at desc, _load_id desc, _line_number desc
        ) as version_rank
    from base_router__tenants
),

final as (
    select
        tenant_id,
        default_provider_key,
        default_model,
        plan,
        created_at,
        _load_id,
        _source_file,
        _line_number,
        _loaded_at
    from versions_ranked
    where version_rank = 1
)

select * from final
