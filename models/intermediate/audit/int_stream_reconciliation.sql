{#-
    Per stream, over all history: raw rows = staged + rejected + duplicates + withdrawn
    (checked by tests/assert_staging_reconciles_with_raw.sql). Duplicates are the valid
    versions that lost the deduplication: identical re-sends plus conflicting versions
    (int_load_reconciliation judges each row); only the conflicting ones count
    against the duplicate gate. Routing decisions count the stand-alone records plus the
    decisions embedded in task executions (embedded_rows of them).
-#}
{%- set streams = [
    'task_executions', 'routing_decisions', 'provider_pricing', 'usage_events', 'tenants',
] -%}

with

int_load_reconciliation as (
    select
        stream,
        landed_rows,
        withdrawn_rows,
        resent_rows,
        conflicting_rows
    from {{ ref('int_load_reconciliation') }}
),

base_router__routing_decisions as (
    select is_embedded
    from {{ ref('base_router__routing_decisions') }}
),

{% for stream in streams -%}
stg_router__{{ stream }} as (
    select _load_id
    from {{ ref('stg_router__' ~ stream) }}
),

{% endfor -%}

int_rejected_records as (
    select stream
    from {{ ref('int_rejected_records') }}
),

stg_router__quarantined_lines as (
    select stream
    from {{ ref('stg_router__quarantined_lines') }}
),

loads_summed as (
    select
        stream,
        sum(landed_rows) as raw_rows,
        sum(withdrawn_rows) as withdrawn_rows,
        sum(resent_rows) as resent_rows,
        sum(conflicting_rows) as conflicting_rows
    from int_load_reconciliation
    group by stream
),

staged_counted as (
    {%- for stream in streams %}
    select
        '{{ stream }}' as stream,
        count(*) as staged_rows
    from stg_router__{{ stream }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

rejected_counted as (
    select
        stream,
        count(*) as rejected_rows
    from int_rejected_records
    group by stream
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
        staged_counted.stream,
        staged_counted.staged_rows,
        coalesce(loads_summed.raw_rows, 0) as raw_rows,
        coalesce(loads_summed.withdrawn_rows, 0) as withdrawn_rows,
        coalesce(loads_summed.resent_rows, 0) as resent_rows,
        coalesce(loads_summed.conflicting_rows, 0) as conflicting_rows,
        coalesce(rejected_counted.rejected_rows, 0) as rejected_rows,
        coalesce(quarantined_counted.quarantined_lines, 0) as quarantined_lines,
        case
            when staged_counted.stream = 'routing_decisions'
                then (
                    select count(*)
                    from base_router__routing_decisions
                    where base_router__routing_decisions.is_embedded
                )
            else 0
        end as embedded_rows
    from staged_counted
    left join loads_summed
        on staged_counted.stream = loads_summed.stream
    left join rejected_counted
        on staged_counted.stream = rejected_counted.stream
    left join quarantined_counted
        on staged_counted.stream = quarantined_counted.stream
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
