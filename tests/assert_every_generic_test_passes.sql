{#-
    Every error-severity generic test in one query: a row per failing test (its name and how
    many rows it fails on). `routing-analytics run` runs this instead of the tests one by
    one (`--exclude test_type:generic,config.severity:error`); `build` and CI run each test
    as its own node and leave this out (tag generic_tests_in_one_query). Depends on the
    models at the end of every tested chain; the macro stops the compilation when a tested
    relation is not among them or their ancestors.
-#}
{{ config(tags=['generic_tests_in_one_query']) }}
-- depends_on: {{ ref('calendar') }}
-- depends_on: {{ ref('cost_breakdowns_daily') }}
-- depends_on: {{ ref('customer_roi_snapshots') }}
-- depends_on: {{ ref('daily_tenant_metrics') }}
-- depends_on: {{ ref('int_rejected_records') }}
-- depends_on: {{ ref('int_stream_reconciliation') }}
-- depends_on: {{ ref('models') }}
-- depends_on: {{ ref('provider_performance') }}
-- depends_on: {{ ref('provider_pricing') }}
-- depends_on: {{ ref('providers') }}
-- depends_on: {{ ref('retention_horizons') }}
-- depends_on: {{ ref('routing_decisions') }}
-- depends_on: {{ ref('stg_router__loads') }}
-- depends_on: {{ ref('tenants') }}
{{ failing_generic_tests(model) }}
