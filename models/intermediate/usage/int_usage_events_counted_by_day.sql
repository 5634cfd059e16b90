{#-
    What usage_analytics' change detection compares its days with (macro
    usage_days_expected), so that a build does not count every usage event again.
    Incremental (strategy replace_recounted): a build counts again only the tenant-days of
    the events staged since the newest stamp it counted, of every version of an event key
    staged since (so the day an event left counts too: withdrawn, rejected or moved), and
    the days it holds before detail_kept_from(), which retention empties. A day left without
    events loses its row.
-#}
{%- set first_open_date = first_unsealed_period('date') -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_recounted',
        recounted_key=['tenant_id', 'activity_date'],
        kept_when='usage_events > 0',
        on_schema_change='fail',
        indexes=[
            {'columns': ['tenant_id', 'activity_date'], 'unique': true},
        ],
    )
}}
-- depends_on: {{ ref('base_router__usage_events') }}

with

stg_router__usage_events as not materialized (
    select
        tenant_id,
        occurred_at,
        _staged_at
    from {{ ref('stg_router__usage_events') }}
),

{% if is_incremental() %}

{%- set counted_since = stamp_literal(
    '(select ' ~ built_from('newest_input') ~ ' from ' ~ this ~ ')'
) %}

days_recounted as (
    -- Retention deletes the events of these days; an event added to one since is stamped.
    select
        counted.tenant_id,
        counted.activity_date
    from {{ this }} as counted
    where counted.activity_date < {{ first_open_date }}
    union
    select
        tenant_id,
        {{ utc_date('occurred_at') }} as activity_date
    from stg_router__usage_events
    where _staged_at > {{ counted_since }}
    union
    select
        versions.tenant_id,
        {{ utc_date('versions.occurred_at') }} as activity_date
    from {{ ref('base_router__usage_events') }} as restaged
    inner join {{ ref('base_router__usage_events') }} as versions
        on
            restaged.usage_event_id = versions.usage_event_id
            and restaged.tenant_id = versions.tenant_id
    where restaged._staged_at > {{ counted_since }} and versions.occurred_at is not null
),

usage_events_recounted as (
    {{ rows_of_tenant_days('days_recounted', 'stg_router__usage_events', 'occurred_at') }}
),

{% endif %}

days_counted as (
    select
        tenant_id,
        {{ utc_date('occurred_at') }} as activity_date,
        count(*) as usage_events,
        max(_staged_at) as newest_input
    from {{ 'usage_events_recounted' if is_incremental() else 'stg_router__usage_events' }}
    group by tenant_id, {{ utc_date('occurred_at') }}
),

final as (
    {%- if is_incremental() %}
    -- Every day recounted, with 0 events where none are left: the strategy deletes its row.
    {{ days_recounted_with_their_counts('usage_events', ['newest_input']) }}
    {%- else %}
    select * from days_counted
    {%- endif %}
)

select * from final
