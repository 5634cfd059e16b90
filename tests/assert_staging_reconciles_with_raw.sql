-- Every raw row is accounted for exactly once in its stream:
--     raw rows = staged + rejected + duplicates + withdrawn
-- raw rows are counted here from the raw tables themselves; the other three come from
-- int_stream_reconciliation, which adds them up from the loads' counts (staged: first valid
-- versions, as many as the stg_ model's rows, counted here too; rejected: as many as the rows
-- of int_rejected_records, counted here too; duplicates: valid rows that lost the
-- deduplication; withdrawn: rows of loads an operator withdrew, which staging ignores).
-- Routing decisions: raw = rows of raw.routing_decisions + rows of raw.task_executions whose
-- routing_decision is a JSON object. Such a line counts twice, once per stream: as an
-- execution (task_executions) and as a decision (routing_decisions), and each side is staged,
-- rejected or a duplicate on its own. A routing_decision that is present but not an object
-- is no decision: the execution is rejected (invalid_routing_decision) and it counts in
-- task_executions only.
-- Returns one row per stream that does not reconcile (or is missing on either side).
-- In `routing-analytics run` (ANALYTICS_CHANGED_SINCE set), the check costs as much as the
-- change: per load instead of per stream, over the loads whose rows the run staged. Each
-- such load's raw rows, counted from the raw table (read from the oldest landing among those
-- loads: its BRIN index on _loaded_at), equal the rows int_load_rows_judged accounts for in
-- that load (withdrawn, rejected, first versions, re-sends, conflicting versions: a generic
-- test checks that they add up). `build`, `check`, make test and CI run the whole check.
{%- set changed_since = run_changed_since() %}
{%- set streams = [
    'task_executions', 'routing_decisions', 'provider_pricing', 'usage_events', 'tenants',
] %}
-- depends_on: {{ ref('int_load_rows_judged') }}
{%- for stream in streams %}
-- depends_on: {{ ref('base_router__' ~ stream) }}
{%- endfor %}
{% if changed_since is not none -%}
with

-- Per raw table, the loads of the rows this run staged, and the oldest landing among them.
loads_staged as (
    {%- for stream in streams %}
    select
        '{{ stream }}' as raw_table,
        _load_id as load_id,
        min(_loaded_at) as loaded_at
    from {{ ref('base_router__' ~ stream) }}
    where
        _staged_at > {{ changed_since }}
        {%- if stream == 'routing_decisions' %}
        and not is_embedded
        {%- endif %}
    group by _load_id
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- Per raw table and load, its raw rows, and in raw.task_executions the embedded decisions
-- (one read of each table).
raw_tables_counted as (
    {%- for stream in streams %}
    select
        '{{ stream }}' as raw_table,
        _load_id as load_id,
        count(*) as raw_rows,
        {%- if stream == 'task_executions' %}
        count(*) filter (
            where {{ json_type('record', 'routing_decision') }} = 'object'
        ) as embedded_decisions
        {%- else %}
        0 as embedded_decisions
        {%- endif %}
    from {{ source('router', stream) }}
    where
        _load_id in (
            select loads_staged.load_id
            from loads_staged
            where loads_staged.raw_table = '{{ stream }}'
        )
        and _loaded_at >= (
            select min(loads_staged.loaded_at)
            from loads_staged
            where loads_staged.raw_table = '{{ stream }}'
        )
    group by _load_id
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- Per load and stream, its raw rows: a task execution's embedded decision counts in
-- routing_decisions too.
raw_counted as (
    select
        raw_table as stream,
        load_id,
        raw_rows
    from raw_tables_counted
    union all
    select
        'routing_decisions' as stream,
        load_id,
        embedded_decisions as raw_rows
    from raw_tables_counted
    where embedded_decisions > 0
),

loads_judged as (
    select
        stream,
        load_id,
        landed_rows
    from {{ ref('int_load_rows_judged') }}
    where
        (stream, load_id) in (
            select
                raw_counted.stream,
                raw_counted.load_id
            from raw_counted
        )
        or load_id in (
            select loads_staged.load_id
            from loads_staged
        )
),

final as (
    select
        coalesce(raw_counted.stream, loads_judged.stream) as stream,
        coalesce(raw_counted.load_id, loads_judged.load_id) as load_id,
        raw_counted.raw_rows,
        loads_judged.landed_rows
    from raw_counted
    full outer join loads_judged
        on
            raw_counted.stream = loads_judged.stream
            and raw_counted.load_id = loads_judged.load_id
    where raw_counted.raw_rows is distinct from loads_judged.landed_rows
)

select * from final
{%- else %}
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

-- What int_stream_reconciliation adds up from the loads' counts, counted where it is.
staged_counted as (
    {%- for stream in streams %}
    select
        '{{ stream }}' as stream,
        count(*) as staged_rows
    from {{ ref('stg_router__' ~ stream) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

rejected_counted as (
    select
        stream,
        count(*) as rejected_rows
    from {{ ref('int_rejected_records') }}
    group by stream
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
        staged_counted.staged_rows as stg_rows,
        int_stream_reconciliation.rejected_rows,
        rejected_counted.rejected_rows as rejected_records,
        int_stream_reconciliation.duplicate_rows,
        int_stream_reconciliation.withdrawn_rows
    from raw_counted
    full outer join int_stream_reconciliation
        on raw_counted.stream = int_stream_reconciliation.stream
    left join staged_counted
        on raw_counted.stream = staged_counted.stream
    left join rejected_counted
        on raw_counted.stream = rejected_counted.stream
    where
        raw_counted.stream is null
        or int_stream_reconciliation.stream is null
        or raw_counted.raw_rows <> int_stream_reconciliation.raw_rows
        or staged_counted.staged_rows is distinct from int_stream_reconciliation.staged_rows
        or coalesce(rejected_counted.rejected_rows, 0)
        <> int_stream_reconciliation.rejected_rows
        or raw_counted.raw_rows
        <> int_stream_reconciliation.staged_rows
        + int_stream_reconciliation.rejected_rows
        + int_stream_reconciliation.duplicate_rows
        + int_stream_reconciliation.withdrawn_rows
)

select * from final
{%- endif %}
