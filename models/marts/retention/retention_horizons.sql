-- One row: how far back the task-level detail and the aggregates reach, for readers that
-- must say when a figure covers less than it asks for (analytics.calculate_roi's `complete`).
with

stg_retention__runs as (
    select
        detail_kept_from,
        aggregates_kept_from,
        ran_at
    from {{ ref('stg_retention__runs') }}
),

final as (
    select
        max(detail_kept_from) as detail_kept_from,
        max(aggregates_kept_from) as aggregates_kept_from,
        max(ran_at) as last_retention_at
    from stg_retention__runs
)

select * from final
