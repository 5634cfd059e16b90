{#- The key of each stream's records, whose versions the accounting numbers; and the streams
    whose base model every build rebuilds whole (the price list is small, its rows carry no
    _staged_at): their loads are always all counted. -#}
{%- macro load_version_keys() -%}
    {{- return({
        'task_executions': ['tenant_id', 'task_execution_id'],
        'routing_decisions': ['tenant_id', 'routing_decision_id'],
        'provider_pricing': ['provider_key', 'model', 'pricing_tier', 'effective_from_at'],
        'usage_events': ['tenant_id', 'usage_event_id'],
        'tenants': ['tenant_id'],
    }) -}}
{%- endmacro -%}


{%- macro streams_counted_whole() -%}
    {{- return(['provider_pricing']) -}}
{%- endmacro -%}


{#-
    SQL query (stream, load_id): the loads whose counts can have changed since `staged_after`
    (a SQL timestamptz): those with a row (re)staged after it, and those holding a valid
    version of a key such a row has, because a new, withdrawn, restored or re-validated
    version renumbers the versions of its key in every load that holds one.
-#}
{%- macro loads_touched_since(staged_after) -%}
    {%- for stream, key in load_version_keys().items()
        if stream not in streams_counted_whole() %}
    {%- set key_columns = key | join(', ') %}
    select '{{ stream }}' as stream, _load_id as load_id
    from {{ ref('base_router__' ~ stream) }}
    where _staged_at > {{ staged_after }}
    union
    select '{{ stream }}' as stream, _load_id as load_id
    from {{ ref('base_router__' ~ stream) }}
    where
        ({{ key_columns }}) in (
            select {{ key_columns }}
            from {{ ref('base_router__' ~ stream) }}
            where _staged_at > {{ staged_after }}
        )
        and not is_rejected
        and not is_withdrawn
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
{%- endmacro -%}


{#-
    In an incremental build of int_load_rows_judged: {stream: [load_id, ...]}, the loads
    touched since the newest staging stamp the model counted (loads_touched_since). Both are
    looked up before the model's query is written, so that the query names the loads as
    literals: PostgreSQL then plans the few rows of a build through the indexes, where a
    subquery left it guessing a third of all history and scanning it. none (count every
    load) when more than a thousand loads were touched.
-#}
{%- macro loads_to_recount() -%}
    {%- set loads = {} -%}
    {%- if not execute -%}
        {{- return(loads) -}}
    {%- endif -%}
    {%- set counted_until = run_query(
        'select cast(' ~ built_from('_inputs_staged_at') ~ ' as text) from ' ~ this
    ).rows[0][0] -%}
    {%- set touched = run_query(loads_touched_since(
        'cast(' ~ dbt.string_literal(counted_until) ~ ' as timestamptz)'
    )) -%}
    {#- Every load, when staging checked them all again (new rules): counting all history is
        then cheaper than naming thousands of loads one by one. -#}
    {%- if touched.rows | length > 1000 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- for stream, load_id in touched.rows -%}
        {%- if stream not in loads -%}
            {%- do loads.update({stream: []}) -%}
        {%- endif -%}
        {%- do loads[stream].append(load_id) -%}
    {%- endfor -%}
    {{- return(loads) -}}
{%- endmacro -%}


{#-
    SQL query: per load and stream, how its landed rows were judged (columns documented on
    int_load_rows_judged). A valid row is the first version of its key, an identical re-send
    of a version landed before, or a conflicting version (a different record under a key
    already seen). Versions are ordered as the deduplication orders them (_loaded_at,
    _load_id, _line_number), so "first" here is the version the others are compared with.

    loads_to_count: none counts every load. Else a dict {stream: [load_id, ...]}: only those
    loads are counted (each from every version of its keys), the loads of a stream it does not
    name none, except the streams counted whole. Literal ids, so that PostgreSQL plans the few
    loads of a build through the indexes.
-#}
{%- macro load_rows_judged(loads_to_count=none) -%}
{%- set version_order = 'order by _loaded_at, _load_id, _line_number' -%}

with

{% for stream, key in load_version_keys().items() -%}
{%- set key_columns = key | join(', ') -%}
{%- set counted_in_part = loads_to_count is not none and stream not in streams_counted_whole() -%}
{%- set load_ids = (loads_to_count or {}).get(stream, []) -%}
{{ stream }}_rows_of_loads as (
    select
        {{ key_columns }},
        is_rejected,
        is_withdrawn,
        _load_id,
        {{ 'cast(null as timestamptz)' if stream in streams_counted_whole() else '_staged_at' }}
            as _staged_at
    from {{ ref('base_router__' ~ stream) }}
    {%- if counted_in_part %}
    where {{ '_load_id in (' ~ load_ids | join(', ') ~ ')' if load_ids else 'false' }}
    {%- endif %}
),

-- Every valid version of the keys of those rows (of every key, when every load is counted).
{{ stream }}_versions as (
    select
        {{ key_columns }},
        record_content_hash,
        _load_id,
        _line_number,
        _loaded_at
    from {{ ref('base_router__' ~ stream) }}
    where
        not is_rejected
        and not is_withdrawn
        {%- if counted_in_part %}
        and ({{ key_columns }}) in (
            select {{ key_columns }}
            from {{ stream }}_rows_of_loads
            where not is_rejected and not is_withdrawn
        )
        {%- endif %}
),

{{ stream }}_versions_numbered as (
    select
        _load_id,
        row_number() over (
            partition by {{ key_columns }} {{ version_order }}
        ) as version_number,
        row_number() over (
            partition by {{ key_columns }}, record_content_hash {{ version_order }}
        ) as content_occurrence
    from {{ stream }}_versions
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
        count(*) filter (where is_rejected and not is_withdrawn) as rejected_rows,
        max(_staged_at) as newest_staged_at
    from {{ stream }}_rows_of_loads
    group by _load_id
),

-- The versions in other loads only number these loads' rows: their counts are not kept.
{{ stream }}_counts_joined as (
    select
        '{{ stream }}' as stream,
        rows_counted._load_id as load_id,
        rows_counted.landed_rows,
        rows_counted.withdrawn_rows,
        rows_counted.rejected_rows,
        coalesce(versions_counted.first_version_rows, 0) as first_version_rows,
        coalesce(versions_counted.resent_rows, 0) as resent_rows,
        coalesce(versions_counted.conflicting_rows, 0) as conflicting_rows,
        rows_counted.newest_staged_at
    from {{ stream }}_rows_counted as rows_counted
    left join {{ stream }}_versions_counted as versions_counted
        on rows_counted._load_id = versions_counted._load_id
),

{% endfor -%}

final as (
    {%- for stream in load_version_keys() %}
    select
        load_id,
        stream,
        landed_rows,
        withdrawn_rows,
        rejected_rows,
        first_version_rows,
        resent_rows,
        conflicting_rows,
        newest_staged_at as _inputs_staged_at
    from {{ stream }}_counts_joined
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
{%- endmacro -%}
