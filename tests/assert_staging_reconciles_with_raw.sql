-- Every raw row is accounted for exactly once in its stream:
--     raw rows = staged + rejected + duplicates + withdrawn
-- raw rows are counted here from the raw tables themselves; the other three come from
-- int_stream_reconciliation (staged: rows of the stg_ model; rejected: rows of
-- int_rejected_records; duplicates: valid rows that lost the deduplication;
-- withdrawn: rows of loads an operator withdrew, which staging ignores).
-- Routing decisions: raw = rows of raw.routing_decisions + rows of raw.task_executions whose
-- routing_decision is a JSON object. Such a line counts twice, once per stream: as an
-- execution (task_executions) and as a decision (routing_decisions), and each side is staged,
-- rejected or a duplicate on its own. A routing_decision that is present but not an object
-- is no decision: the execution is rejected (invalid_routing_decision) and it counts in
-- task_executions only.
-- Returns one row per stream that does not reconcile (or is missing on either side).
with

task_executions as (
    select {{ json_type('record', 'routing_decision') }} as routing_decision_json_type
    from {{ source('router', 'task_executions') }}
),

routing_decisions as (
    select _load_id
    from {{ source('router', 'routing_decisions') }}
),

provider_pricing as (
    select _load_id
    from {{ source('router', 'provider_pricing') }}
),

usage_events as (
    select _load_id
    from {{ source('router', 'usage_events') }}
),

tenants as (
    select _load_id
    from {{ source('router', 'tenants') }}
),

int_stream_reconciliation as (
    select
        stream,
        raw_rows,
        staged_rows,
        rejected_rows,
        duplicate_rows,
        withdrawn_rows
    from {{ ref('int_stream_reconciliation') }}
),

raw_counted as (
    select
        'task_executions' as stream,
        (select count(*) from task_executions) as raw_rows
    union all
    select
        'routing_decisions' as stream,
        (select count(*) from routing_decisions)
        + (
            select count(*)
            from task_executions
            where routing_decision_json_type = 'object'
        ) as raw_rows
    union all
    select
        'provider_pricing' as stream,
        (select count(*) from provider_pricing) as raw_rows
    union all
    select
        'usage_events' as stream,
        (select count(*) from usage_events) as raw_rows
    union all
    select
        'tenants' as stream,
        (select count(*) from tenants) as raw_rows
),

final as (
    select
        raw_counted.stream as raw_stream,
        int_stream_reconciliation.stream as modelled_stream,
        raw_counted.raw_rows,
        int_stream_reconciliation.raw_rows as modelled_raw_rows,
        int_stream_reconciliation.staged_rows,
        int_stream_reconciliation.rejected_rows,
        int_stream_reconciliation.duplicate_rows,
        int_stream_reconciliation.withdrawn_rows
    from raw_counted
    full outer join int_stream_reconciliation
        on raw_counted.stream = int_stream_reconciliation.stream
    where
        raw_counted.stream is null
        or int_stream_reconciliation.stream is null
        or raw_counted.raw_rows <> int_stream_reconciliation.raw_rows
        or raw_counted.raw_rows
        <> int_stream_reconciliation.staged_rows
        + int_stream_reconciliation.rejected_rows
        + int_stream_reconciliation.duplicate_rows
        + int_stream_reconciliation.withdrawn_rows
)

select * from final
