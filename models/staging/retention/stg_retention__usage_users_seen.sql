with

usage_users_seen as (
    select
        tenant_id,
        user_id,
        first_seen_date,
        last_seen_date
    from {{ source('retention', 'usage_users_seen') }}
),

final as (
    select
        tenant_id,
        user_id,
        first_seen_date,
        last_seen_date
    from usage_users_seen
)

select * from final
