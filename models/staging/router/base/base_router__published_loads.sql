-- Loads accepted by the gates of a published build (`run`, `build`): the rate gates judge
-- every other load, i.e. what the next run adds.
with

published_loads as (
    select
        load_id,
        published_at,
        published_by
    from {{ source('router', 'published_loads') }}
),

final as (
    select
        load_id,
        published_by,
        published_at
    from published_loads
)

select * from final
