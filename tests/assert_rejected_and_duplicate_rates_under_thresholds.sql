{{ config(
    tags=['data_quality'],
    severity='error',
    meta={'threshold': 'rejected <= ' ~ var('max_rejected_share') ~ ', duplicates <= '
        ~ var('max_duplicate_share')},
) }}
-- Data-quality gate: one row per stream whose share of rejected records (failed
-- validation) or of duplicates (repeated record ids) is above its threshold. A sender that
-- breaks the contract stops the run before customers see numbers built on half its data.
with

stg_router__stream_reconciliation as (
    select
        stream,
        raw_rows,
        rejected_rows,
        duplicate_rows
    from {{ ref('stg_router__stream_reconciliation') }}
),

final as (
    select
        stream,
        raw_rows,
        rejected_rows,
        duplicate_rows
    from stg_router__stream_reconciliation
    where
        rejected_rows > {{ var('max_rejected_share') }} * raw_rows
        or duplicate_rows > {{ var('max_duplicate_share') }} * raw_rows
)

select * from final
