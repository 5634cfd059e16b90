"""The dbt relations that Python reads, cleans or checks, each named once; a test checks every
name against the dbt manifest, so a renamed model cannot leave Python reading a stale name."""

from __future__ import annotations

PUBLISHED_SCHEMA = "analytics"
# The roles that read it (dbt_project.yml vars reader_role and analyst_role).
READER_ROLE = "analytics_reader"
ANALYST_ROLE = "analytics_analyst"

# Published marts (schema analytics; `run` builds them into analytics_next first).
TASK_EXECUTIONS = "analytics.task_executions"
ROUTING_DECISIONS = "analytics.routing_decisions"
PROVIDER_PERFORMANCE = "analytics.provider_performance"
USAGE_ANALYTICS = "analytics.usage_analytics"
DAILY_TENANT_METRICS = "analytics.daily_tenant_metrics"
COST_BREAKDOWNS_DAILY = "analytics.cost_breakdowns_daily"
CUSTOMER_ROI_SNAPSHOTS = "analytics.customer_roi_snapshots"
# How far back retention keeps detail and aggregates (one row, no tenant).
RETENTION_HORIZONS = "analytics.retention_horizons"
# The ROI calculator function (post-hook of customer_roi_snapshots), not a dbt node.
CALCULATE_ROI = "analytics.calculate_roi"

# Staging: one row per raw row (base_) and the latest valid version (stg_).
BASE_TASK_EXECUTIONS = "staging.base_router__task_executions"
BASE_ROUTING_DECISIONS = "staging.base_router__routing_decisions"
BASE_PROVIDER_PRICING = "staging.base_router__provider_pricing"
BASE_USAGE_EVENTS = "staging.base_router__usage_events"
BASE_TENANTS = "staging.base_router__tenants"
STG_TASK_EXECUTIONS = "staging.stg_router__task_executions"
STG_ROUTING_DECISIONS = "staging.stg_router__routing_decisions"
STG_USAGE_EVENTS = "staging.stg_router__usage_events"

# Every staged task priced, and its baseline (one row per task, kept incrementally).
INT_TASK_EXECUTIONS_COSTED = "int.int_task_executions_costed"
INT_TASK_EXECUTIONS_WITH_SAVINGS = "int.int_task_executions_with_savings"
# The tasks summed per tenant, day, provider and task type (what the ROI windows read).
INT_TASK_EXECUTIONS_SUMMED_BY_DAY = "int.int_task_executions_summed_by_day"

# The accounting of every raw row.
REJECTED_RECORDS = "int.int_rejected_records"
LOAD_RECONCILIATION = "int.int_load_reconciliation"
STREAM_RECONCILIATION = "int.int_stream_reconciliation"
# The counts kept per load (incremental), and the same counted from all history (a view).
LOAD_ROWS_JUDGED = "int.int_load_rows_judged"
LOAD_ROWS_JUDGED_IN_FULL = "int.int_load_rows_judged_in_full"
# The materialized ones, each after the views it reads (int_load_reconciliation is one in
# a database built before its counts were kept per load).
RECONCILIATION_VIEWS = (LOAD_RECONCILIATION, STREAM_RECONCILIATION)

# Every name above that a dbt model builds (schema.relation), for the manifest check.
DBT_RELATIONS = (
    TASK_EXECUTIONS,
    ROUTING_DECISIONS,
    PROVIDER_PERFORMANCE,
    USAGE_ANALYTICS,
    DAILY_TENANT_METRICS,
    COST_BREAKDOWNS_DAILY,
    CUSTOMER_ROI_SNAPSHOTS,
    RETENTION_HORIZONS,
    BASE_TASK_EXECUTIONS,
    BASE_ROUTING_DECISIONS,
    BASE_PROVIDER_PRICING,
    BASE_USAGE_EVENTS,
    BASE_TENANTS,
    STG_TASK_EXECUTIONS,
    STG_ROUTING_DECISIONS,
    STG_USAGE_EVENTS,
    INT_TASK_EXECUTIONS_COSTED,
    INT_TASK_EXECUTIONS_WITH_SAVINGS,
    INT_TASK_EXECUTIONS_SUMMED_BY_DAY,
    REJECTED_RECORDS,
    LOAD_RECONCILIATION,
    STREAM_RECONCILIATION,
    LOAD_ROWS_JUDGED,
    LOAD_ROWS_JUDGED_IN_FULL,
)


def in_schema(relation: str, schema: str) -> str:
    """The same relation in another schema, e.g. a published mart in analytics_next."""
    return f"{schema}.{relation.split('.', 1)[1]}"
