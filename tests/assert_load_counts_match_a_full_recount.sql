{{ config(tags=['full_history']) }}
-- The counts a build keeps per load (int_load_rows_judged, recounted only where rows were
-- staged since) equal a count of every load from all history (int_load_rows_judged_in_full):
-- returns the rows of each that the other lacks (EXCEPT ALL both ways). Tagged
-- full_history: a scheduled run leaves it out (it reads all history), every full build
-- (`routing-analytics build`, make test, CI) runs it.
{%- set compared = [
    'load_id', 'stream', 'landed_rows', 'withdrawn_rows', 'rejected_rows', 'first_version_rows',
    'resent_rows', 'conflicting_rows', '_inputs_staged_at',
] %}
with

int_load_rows_judged as (
    select
        {{ compared | join(',\n        ') }}
    from {{ ref('int_load_rows_judged') }}
),

int_load_rows_judged_in_full as (
    select
        {{ compared | join(',\n        ') }}
    from {{ ref('int_load_rows_judged_in_full') }}
),

kept_not_recounted as (
    select * from int_load_rows_judged
    except all
    select * from int_load_rows_judged_in_full
),

recounted_not_kept as (
    select * from int_load_rows_judged_in_full
    except all
    select * from int_load_rows_judged
),

final as (
    select
        'kept, not in a full recount' as difference,
        {{ compared | join(',\n        ') }}
    from kept_not_recounted
    union all
    select
        'in a full recount, not kept' as difference,
        {{ compared | join(',\n        ') }}
    from recounted_not_kept
)

select * from final
