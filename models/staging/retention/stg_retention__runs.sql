with

runs as (
    select
        run_id,
        rows_removed,
        as_of,
        detail_kept_from,
        aggregates_kept_from,
        quarantine_kept_from,
        ran_at
    from {{ source('retention', 'runs') }}
),

final as (
    select
        run_id,
        rows_removed,
        as_of,
        detail_kept_from,
        aggregates_kept_from,
        quarantine_kept_from,
        ran_at
    from runs
)

select * from final
