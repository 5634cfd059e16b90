{#-
    Per load and stream: how its landed rows were judged (int_load_rows_judged), and whether
    the load is withdrawn or published now. The two flags are read here, not kept with the
    counts: a run publishes its loads after its build. The rate gates read the loads that are
    neither (tests/assert_rejected_and_duplicate_rates_...); int_stream_reconciliation adds
    the counts up per stream.
-#}
with

int_load_rows_judged as (
    select
        load_id,
        stream,
        landed_rows,
        withdrawn_rows,
        rejected_rows,
        first_version_rows,
        resent_rows,
        conflicting_rows
    from {{ ref('int_load_rows_judged') }}
),

base_router__withdrawn_loads as (
    select load_id
    from {{ ref('base_router__withdrawn_loads') }}
),

base_router__published_loads as (
    select load_id
    from {{ ref('base_router__published_loads') }}
),

final as (
    select
        loads.load_id,
        loads.stream,
        loads.landed_rows,
        loads.withdrawn_rows,
        loads.rejected_rows,
        loads.first_version_rows,
        loads.resent_rows,
        loads.conflicting_rows,
        withdrawn.load_id is not null as is_withdrawn,
        published.load_id is not null as is_published
    from int_load_rows_judged as loads
    left join base_router__withdrawn_loads as withdrawn
        on loads.load_id = withdrawn.load_id
    left join base_router__published_loads as published
        on loads.load_id = published.load_id
)

select * from final
