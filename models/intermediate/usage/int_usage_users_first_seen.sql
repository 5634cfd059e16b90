{#-
    Each user's first day with a tenant, ever: what usage_analytics counts as new users
    (macro usage_days_expected), so that a build does not read every usage event again.
    Incremental (strategy replace_recounted): a build finds again the first day of the users
    of the events staged since its last build, and of every version of an event key staged
    since (so a user whose event left or moved counts too), each from the index on
    (tenant_id, user_id, occurred_at) of stg_router__usage_events: one probe per user.
    Retention keeps the first days of the events it deletes (stg_retention__usage_users_seen),
    so the rows of other users stay right. A user left without any event or kept day loses
    the row.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_recounted',
        recounted_key=['tenant_id', 'user_id'],
        kept_when='first_seen_date is not null',
        on_schema_change='fail',
        indexes=[
            {'columns': ['tenant_id', 'user_id'], 'unique': true},
        ],
    )
}}
-- depends_on: {{ ref('base_router__usage_events') }}

with

stg_router__usage_events as not materialized (
    select
        tenant_id,
        user_id,
        occurred_at,
        _staged_at
    from {{ ref('stg_router__usage_events') }}
    where user_id is not null
),

stg_retention__usage_users_seen as (
    select
        tenant_id,
        user_id,
        first_seen_date
    from {{ ref('stg_retention__usage_users_seen') }}
),

{% if is_incremental() %}

{%- set counted_since = stamp_literal(
    '(select ' ~ built_from('_counted_at') ~ ' from ' ~ this ~ ')'
) %}

users_recounted as (
    select
        tenant_id,
        user_id
    from stg_router__usage_events
    where _staged_at > {{ counted_since }}
    union
    select
        versions.tenant_id,
        versions.user_id
    from {{ ref('base_router__usage_events') }} as restaged
    inner join {{ ref('base_router__usage_events') }} as versions
        on
            restaged.usage_event_id = versions.usage_event_id
            and restaged.tenant_id = versions.tenant_id
    where restaged._staged_at > {{ counted_since }} and versions.user_id is not null
),

user_first_days as (
    select
        users_recounted.tenant_id,
        users_recounted.user_id,
        least(
            {{ utc_date('first_event.first_event_at') }}, users_seen.first_seen_date
        ) as first_seen_date
    from users_recounted
    -- One probe of the index on (tenant_id, user_id, occurred_at) per user.
    left join lateral (
        select min(events.occurred_at) as first_event_at
        from stg_router__usage_events as events
        where
            events.tenant_id = users_recounted.tenant_id
            and events.user_id = users_recounted.user_id
    ) as first_event on true
    left join stg_retention__usage_users_seen as users_seen
        on
            users_recounted.tenant_id = users_seen.tenant_id
            and users_recounted.user_id = users_seen.user_id
    where users_recounted.tenant_id is not null
),

{% else %}

user_first_days as (
    select
        tenant_id,
        user_id,
        min(seen_date) as first_seen_date
    from (
        select
            tenant_id,
            user_id,
            {{ utc_date('occurred_at') }} as seen_date
        from stg_router__usage_events
        union all
        select
            tenant_id,
            user_id,
            first_seen_date as seen_date
        from stg_retention__usage_users_seen
    ) as user_days
    group by tenant_id, user_id
),

{% endif %}

final as (
    select
        tenant_id,
        user_id,
        first_seen_date,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as _counted_at
    from user_first_days
)

select * from final
