{{ config(
    tags=['data_quality'],
    severity='error',
    meta={'threshold': 'rejected <= ' ~ var('max_rejected_share') ~ ', duplicates <= '
        ~ var('max_duplicate_share') ~ ' of the rows of unpublished loads, per stream'},
) }}
-- Data-quality gate: one row per stream and rate above its threshold, judged on what this
-- run adds: the rows of loads not yet published and not withdrawn. A sender that breaks
-- the contract stops the run before customers see numbers built on half its data; a bad
-- batch in the past (published, or withdrawn by an operator) does not block later runs.
-- Duplicates are conflicting versions only (int_load_reconciliation): an identical
-- re-send of a tenant or price snapshot is not a problem. All-history figures are in
-- int_stream_reconciliation, for monitoring.
-- gate_failure is the one line `run`, `build` and `check` print for a failing row.
with

int_load_reconciliation as (
    select
        stream,
        landed_rows,
        rejected_rows,
        conflicting_rows
    from {{ ref('int_load_reconciliation') }}
    where not is_published and not is_withdrawn
),

streams_summed as (
    select
        stream,
        sum(landed_rows) as new_rows,
        sum(rejected_rows) as rejected_rows,
        sum(conflicting_rows) as conflicting_rows
    from int_load_reconciliation
    group by stream
),

rates_unpivoted as (
    select
        stream,
        new_rows,
        'rejected_share' as gate,
        rejected_rows as failing_rows,
        {{ var('max_rejected_share') }} as threshold
    from streams_summed
    union all
    select
        stream,
        new_rows,
        'duplicate_share' as gate,
        conflicting_rows as failing_rows,
        {{ var('max_duplicate_share') }} as threshold
    from streams_summed
),

final as (
    select
        gate,
        stream,
        failing_rows,
        new_rows,
        threshold,
        'gate ' || gate || ' failed: stream ' || stream || ', '
        || failing_rows || ' of ' || new_rows || ' rows of unpublished loads ('
        || {{ floor_to_places('100.0 * failing_rows / new_rows', 1) }}
        || ' %) are '
        || case
            when gate = 'rejected_share' then 'rejected'
            else 'conflicting versions'
        end
        || ', above the threshold of ' || 100 * threshold || ' %' as gate_failure
    from rates_unpivoted
    where failing_rows > threshold * new_rows
)

select * from final
