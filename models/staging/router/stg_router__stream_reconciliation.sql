{#-
    Per stream: raw rows = staged + rejected + duplicates (checked by
    tests/assert_staging_reconciles_with_raw.sql). Routing decisions count the stand-alone
    records plus the decisions embedded in task executions (embedded_rows of them).
-#}
{%- set keys = {
    'task_executions': ['task_execution_id'],
    'routing_decisions': ['routing_decision_id'],
    'provider_pricing': ['provider_key', 'model', 'pricing_tier', 'effective_from_at'],
    'usage_events': ['usage_event_id'],
    'tenants': ['tenant_id'],
} -%}

with

{% for stream, key in keys.items() -%}
base_router__{{ stream }} as (
    select
        {%- for column in key %}
        {{ column }},
        {%- endfor %}
        {%- if stream == 'routing_decisions' %}
        is_embedded,
        {%- endif %}
        is_rejected
    from {{ ref('base_router__' ~ stream) }}
),

stg_router__{{ stream }} as (
    select {{ key[0] }}
    from {{ ref('stg_router__' ~ stream) }}
),

{% endfor -%}

stg_router__rejected_records as (
    select stream
    from {{ ref('stg_router__rejected_records') }}
),

stg_router__quarantined_lines as (
    select stream
    from {{ ref('stg_router__quarantined_lines') }}
),

{% for stream, key in keys.items() -%}
{{ stream }}_versions_counted as (
    select
        {%- for column in key %}
        {{ column }},
        {%- endfor %}
        count(*) as valid_versions
    from base_router__{{ stream }}
    where not is_rejected
    group by {{ key | join(', ') }}
),

{% endfor -%}

rejected_counted as (
    select
        stream,
        count(*) as rejected_rows
    from stg_router__rejected_records
    group by stream
),

quarantined_counted as (
    select
        stream,
        count(*) as quarantined_lines
    from stg_router__quarantined_lines
    group by stream
),

streams_counted as (
    {%- for stream in keys %}
    select
        '{{ stream }}' as stream,
        (select count(*) from base_router__{{ stream }}) as raw_rows,
        {%- if stream == 'routing_decisions' %}
        (
            select count(*)
            from base_router__{{ stream }}
            where is_embedded
        ) as embedded_rows,
        {%- else %}
        0 as embedded_rows,
        {%- endif %}
        (select count(*) from stg_router__{{ stream }}) as staged_rows,
        (
            select coalesce(sum(valid_versions - 1), 0)
            from {{ stream }}_versions_counted
        ) as duplicate_rows
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

counts_joined as (
    select
        streams_counted.stream,
        streams_counted.raw_rows,
        streams_counted.embedded_rows,
        streams_counted.staged_rows,
        streams_counted.duplicate_rows,
        coalesce(rejected_counted.rejected_rows, 0) as rejected_rows,
        coalesce(quarantined_counted.quarantined_lines, 0) as quarantined_lines
    from streams_counted
    left join rejected_counted
        on streams_counted.stream = rejected_counted.stream
    left join quarantined_counted
        on streams_counted.stream = quarantined_counted.stream
),

final as (
    select
        stream,
        raw_rows,
        embedded_rows,
        staged_rows,
        rejected_rows,
        duplicate_rows,
        quarantined_lines,
        raw_rows = staged_rows + rejected_rows + duplicate_rows as is_reconciled
    from counts_joined
)

select * from final
