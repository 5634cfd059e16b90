{{ config(tags=['full_history']) }}
-- The usage counts a build keeps (int_usage_events_counted_by_day per tenant and day,
-- int_usage_users_first_seen per tenant and user, found again only where events were
-- staged since) equal those of every usage event of stg_router__usage_events and every
-- first day retention kept: returns the rows of each that the other lacks (EXCEPT ALL both
-- ways), each as the counted key and figure. Tagged full_history: a scheduled run leaves
-- it out (it reads every event), every full build (`routing-analytics build`, make test,
-- CI) runs it.
with

events_kept as (
    select
        'events of the day' as counted,
        tenant_id,
        cast(activity_date as {{ dbt.type_string() }}) as counted_key,
        cast(usage_events as {{ dbt.type_string() }}) as figure,
        newest_input
    from {{ ref('int_usage_events_counted_by_day') }}
),

events_from_scratch as (
    select
        'events of the day' as counted,
        tenant_id,
        cast({{ utc_date('occurred_at') }} as {{ dbt.type_string() }}) as counted_key,
        cast(count(*) as {{ dbt.type_string() }}) as figure,
        max(_staged_at) as newest_input
    from {{ ref('stg_router__usage_events') }}
    group by tenant_id, {{ utc_date('occurred_at') }}
),

users_kept as (
    select
        'first day of the user' as counted,
        tenant_id,
        user_id as counted_key,
        cast(first_seen_date as {{ dbt.type_string() }}) as figure,
        cast(null as timestamptz) as newest_input
    from {{ ref('int_usage_users_first_seen') }}
),

users_from_scratch as (
    select
        'first day of the user' as counted,
        tenant_id,
        user_id as counted_key,
        cast(min(seen_date) as {{ dbt.type_string() }}) as figure,
        cast(null as timestamptz) as newest_input
    from (
        select
            tenant_id,
            user_id,
            {{ utc_date('occurred_at') }} as seen_date
        from {{ ref('stg_router__usage_events') }}
        where user_id is not null
        union all
        select
            tenant_id,
            user_id,
            first_seen_date as seen_date
        from {{ ref('stg_retention__usage_users_seen') }}
    ) as user_days
    group by tenant_id, user_id
),

kept as (
    select * from events_kept
    union all
    select * from users_kept
),

from_scratch as (
    select * from events_from_scratch
    union all
    select * from users_from_scratch
),

kept_not_recounted as (
    select * from kept
    except all
    select * from from_scratch
),

recounted_not_kept as (
    select * from from_scratch
    except all
    select * from kept
),

final as (
    select
        'kept, not in a count from scratch' as difference,
        kept_not_recounted.counted,
        kept_not_recounted.tenant_id,
        kept_not_recounted.counted_key,
        kept_not_recounted.figure,
        kept_not_recounted.newest_input
    from kept_not_recounted
    union all
    select
        'in a count from scratch, not kept' as difference,
        recounted_not_kept.counted,
        recounted_not_kept.tenant_id,
        recounted_not_kept.counted_key,
        recounted_not_kept.figure,
        recounted_not_kept.newest_input
    from recounted_not_kept
)

select * from final
