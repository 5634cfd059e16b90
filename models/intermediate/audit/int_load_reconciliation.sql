{#-
    Per load and stream: how its landed rows were judged. A valid row is the first version
    of its key, an identical re-send of a version already landed (not a problem: routers
    re-send tenant and price snapshots), or a conflicting version (a different record under
    a key already seen: a new version of a tenant or price row, or a reused event id). Rows
    of a withdrawn load are counted as withdrawn and nothing else. The rate gates read this
    for the loads not yet published (tests/assert_rejected_and_duplicate_rates_...);
    int_stream_reconciliation adds it up per stream.
    Versions are ordered as the deduplication orders them (_loaded_at, _load_id,
    _line_number), so "first" here is the version the others are compared with.
-#}
{%- set keys = {
    'task_executions': ['tenant_id', 'task_execution_id'],
    'routing_decisions': ['tenant_id', 'routing_decision_id'],
    'provider_pricing': ['provider_key', 'model', 'pricing_tier', 'effective_from_at'],
    'usage_events': ['tenant_id', 'usage_event_id'],
    'tenants': ['tenant_id'],
} -%}
{%- set version_order = 'order by _loaded_at, _load_id, _line_number' -%}

with

{% for stream, key in keys.items() -%}
base_router__{{ stream }} as (
    select
        {%- for column in key %}
        {{ column }},
        {%- endfor %}
        record_content_hash,
        is_rejected,
        is_withdrawn,
        _load_id,
        _line_number,
        _loaded_at
    from {{ ref('base_router__' ~ stream) }}
),

{% endfor -%}

base_router__withdrawn_loads as (
    select load_id
    from {{ ref('base_router__withdrawn_loads') }}
),

base_router__published_loads as (
    select load_id
    from {{ ref('base_router__published_loads') }}
),

{% for stream, key in keys.items() -%}
{{ stream }}_versions_numbered as (
    select
        _load_id,
        row_number() over (
            partition by {{ key | join(', ') }} {{ version_order }}
        ) as version_number,
        row_number() over (
            partition by {{ key | join(', ') }}, record_content_hash {{ version_order }}
        ) as content_occurrence
    from base_router__{{ stream }}
    where not is_rejected and not is_withdrawn
),

{{ stream }}_versions_counted as (
    select
        _load_id,
        count(*) filter (where version_number = 1) as first_version_rows,
        count(*) filter (where content_occurrence > 1) as resent_rows,
        count(*) filter (
            where version_number > 1 and content_occurrence = 1
        ) as conflicting_rows
    from {{ stream }}_versions_numbered
    group by _load_id
),

{{ stream }}_rows_counted as (
    select
        _load_id,
        count(*) as landed_rows,
        count(*) filter (where is_withdrawn) as withdrawn_rows,
        count(*) filter (where is_rejected and not is_withdrawn) as rejected_rows
    from base_router__{{ stream }}
    group by _load_id
),

{{ stream }}_counts_joined as (
    select
        '{{ stream }}' as stream,
        {{ stream }}_rows_counted._load_id as load_id,
        {{ stream }}_rows_counted.landed_rows,
        {{ stream }}_rows_counted.withdrawn_rows,
        {{ stream }}_rows_counted.rejected_rows,
        coalesce({{ stream }}_versions_counted.first_version_rows, 0) as first_version_rows,
        coalesce({{ stream }}_versions_counted.resent_rows, 0) as resent_rows,
        coalesce({{ stream }}_versions_counted.conflicting_rows, 0) as conflicting_rows
    from {{ stream }}_rows_counted
    left join {{ stream }}_versions_counted
        on {{ stream }}_rows_counted._load_id = {{ stream }}_versions_counted._load_id
),

{% endfor -%}

streams_unioned as (
    {%- for stream in keys %}
    select * from {{ stream }}_counts_joined
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        streams_unioned.load_id,
        streams_unioned.stream,
        streams_unioned.landed_rows,
        streams_unioned.withdrawn_rows,
        streams_unioned.rejected_rows,
        streams_unioned.first_version_rows,
        streams_unioned.resent_rows,
        streams_unioned.conflicting_rows,
        base_router__withdrawn_loads.load_id is not null as is_withdrawn,
        base_router__published_loads.load_id is not null as is_published
    from streams_unioned
    left join base_router__withdrawn_loads
        on streams_unioned.load_id = base_router__withdrawn_loads.load_id
    left join base_router__published_loads
        on streams_unioned.load_id = base_router__published_loads.load_id
)

select * from final
