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
        _loaded_at,
        _staged_at,
        not is_rejected and not is_withdrawn as is_valid
    from {{ ref('base_router__tenants') }}
),

versions_ranked as (
    select
        *,
        row_number() over (
            partition by tenant_id
            order by is_valid desc, _loaded_at desc, _load_id desc, _line_number desc
        ) as version_rank,
        -- Any version staged again (a new one, or one withdrawn) can change the tenant.
        max(_staged_at) over (partition by tenant_id) as versions_staged_at
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
        _loaded_at,
        versions_staged_at as _staged_at
    from versions_ranked
    where version_rank = 1 and is_valid
)

select * from final
