{#-
    Per stream, over all history: raw rows = staged + rejected + duplicates + withdrawn, added
    up from how each load's rows were judged (int_load_reconciliation: kept per load, and a
    build recounts only the loads it touched), so that a run pays for the loads it touched,
    not for all history. A staged row is the first valid version of its key (the stg_ model
    keeps one version of each key). tests/assert_staging_reconciles_with_raw.sql counts the
    raw tables, the stg_ models and int_rejected_records themselves in every full build.
    Duplicates are the valid versions that lost the deduplication: identical re-sends plus
    conflicting versions; only the conflicting ones count against the duplicate gate.
    Routing decisions count the stand-alone records plus the decisions embedded in task
    executions (embedded_rows of them: the decisions counted in a task_executions load).
-#}
{%- set streams = [
    'task_executions', 'routing_decisions', 'provider_pricing', 'usage_events', 'tenants',
] -%}

with

int_load_reconciliation as (
    select
        load_id,
        stream,
        landed_rows,
        withdrawn_rows,
        rejected_rows,
        first_version_rows,
        resent_rows,
        conflicting_rows
    from {{ ref('int_load_reconciliation') }}
),

stg_router__loads as (
    select
        load_id,
        stream
    from {{ ref('stg_router__loads') }}
),

stg_router__quarantined_lines as (
    select stream
    from {{ ref('stg_router__quarantined_lines') }}
),

-- A row per stream, loads or none.
streams_listed as (
    {%- for stream in streams %}
    select '{{ stream }}' as stream
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

loads_summed as (
    select
        judged.stream,
        -- Counts of rows, as they were when counted here (count(*) is a bigint).
        cast(
            coalesce(sum(judged.landed_rows) filter (where loads.stream <> judged.stream), 0)
            as bigint
        ) as embedded_rows,
        cast(sum(judged.first_version_rows) as bigint) as staged_rows,
        cast(sum(judged.rejected_rows) as bigint) as rejected_rows,
        sum(judged.landed_rows) as raw_rows,
        sum(judged.withdrawn_rows) as withdrawn_rows,
        sum(judged.resent_rows) as resent_rows,
        sum(judged.conflicting_rows) as conflicting_rows
    from int_load_reconciliation as judged
    left join stg_router__loads as loads
        on judged.load_id = loads.load_id
    group by judged.stream
),

quarantined_counted as (
    select
        stream,
        count(*) as quarantined_lines
    from stg_router__quarantined_lines
    group by stream
),

counts_joined as (
    select
        streams_listed.stream,
        coalesce(loads_summed.raw_rows, 0) as raw_rows,
        coalesce(loads_summed.embedded_rows, 0) as embedded_rows,
        coalesce(loads_summed.staged_rows, 0) as staged_rows,
        coalesce(loads_summed.rejected_rows, 0) as rejected_rows,
        coalesce(loads_summed.withdrawn_rows, 0) as withdrawn_rows,
        coalesce(loads_summed.resent_rows, 0) as resent_rows,
        coalesce(loads_summed.conflicting_rows, 0) as conflicting_rows,
        coalesce(quarantined_counted.quarantined_lines, 0) as quarantined_lines
    from streams_listed
    left join loads_summed
        on streams_listed.stream = loads_summed.stream
    left join quarantined_counted
        on streams_listed.stream = quarantined_counted.stream
),

final as (
    select
        stream,
        raw_rows,
        embedded_rows,
        staged_rows,
        rejected_rows,
        resent_rows,
        conflicting_rows,
        withdrawn_rows,
        quarantined_lines,
        resent_rows + conflicting_rows as duplicate_rows,
        raw_rows
        = staged_rows + rejected_rows + resent_rows + conflicting_rows + withdrawn_rows
            as is_reconciled
    from counts_joined
)

select * from final
