"""`routing-analytics roi`: the ROI calculator (design document 6.1) for one tenant and period.

The figures come from the SQL function analytics.calculate_roi, so the command line, the
dashboards and analysts get the same numbers by the same conservative rules, over the same
window: the last N whole UTC days as of --as-of (default now, so today is included).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal

from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import UserError
from routing_analytics.warehouse.relations import (
    CALCULATE_ROI,
    TASK_EXECUTIONS,
)

ROI_QUERY = f"select * from {CALCULATE_ROI}(%s, %s, coalesce(%s, now()))"
TENANT_KNOWN = f"select exists (select from {TASK_EXECUTIONS} where tenant_id = %s)"
PERIOD_HAS_TASKS = f"""
select exists (
    select from {TASK_EXECUTIONS}
    where tenant_id = %s and timestamp_start >= %s and timestamp_start < %s
)
"""
# A reader login sees the tenant of its session only (row-level security); the builder's
# login sees everything. Setting the context for this transaction serves both.
TENANT_CONTEXT = "select set_config('app.tenant_id', %s, true)"

# Every count and average says which tasks it is over.
LABELS = {
    "total_cost": "Cost of the completed priced tasks (USD)",
    "baseline_cost": "Their cost without routing (USD)",
    "total_savings": "Savings (USD; a loss is negative)",
    "savings_percentage": "Savings, % of the cost without routing",
    "tasks_completed": "Completed tasks (priced or not)",
    "tasks_optimized": "Completed priced tasks that saved money",
    "avg_savings_per_task": "Savings / completed priced tasks that saved money (USD)",
    "other_status_cost": "Cost of failed, timed-out and cancelled tasks (USD)",
    "unpriced_tasks": "Tasks without cost data (any status)",
}


def calculate_roi(
    settings: Settings, tenant: str, days: int, as_of: datetime | None
) -> dict[str, object]:
    with db.connect(settings) as conn:
        if conn.execute(f"select to_regproc('{CALCULATE_ROI}')").fetchone() == (None,):
            raise UserError("the marts are not built yet: run `routing-analytics build` first")
        conn.execute(TENANT_CONTEXT, (tenant,))
        known = conn.execute(TENANT_KNOWN, (tenant,)).fetchone()
        if known != (True,):
            raise UserError(f"no task executions for tenant {tenant!r}")
        cursor = conn.execute(ROI_QUERY, (tenant, days, as_of))
        names = [column.name for column in cursor.description or ()]
        row = cursor.fetchone()
        assert row is not None
        figures = dict(zip(names, row, strict=True))
        period = (figures["period_start"], figures["period_end"])
        if conn.execute(PERIOD_HAS_TASKS, (tenant, *period)).fetchone() != (True,):
            raise UserError(
                f"no task executions for tenant {tenant!r} from {_utc(period[0])}"
                f" to {_utc(period[1])} (UTC, end excluded)"
            )
    return figures


def print_roi(
    settings: Settings, tenant: str, days: int, as_of: datetime | None, as_json: bool
) -> int:
    figures = calculate_roi(settings, tenant, days, as_of)
    if not figures["complete"]:
        print(
            f"routing-analytics: warning: incomplete: the period starts before"
            f" {_utc(figures['detail_kept_from'])} UTC, where the task-level detail kept by"
            " retention begins; the figures cover only the days from there",
            file=sys.stderr,
        )
    if as_json:
        print(json.dumps(figures, default=_json_value, separators=(",", ":")))
        return 0
    print(
        f"ROI for tenant {tenant}, the last {days} days: {_utc(figures['period_start'])} to"
        f" {_utc(figures['period_end'])} UTC (end excluded)"
    )
    print(
        "(completed priced tasks; USD and percentages floored, never rounded up; positive"
        " savings under 1 % of the cost without routing are shown as 0)"
    )
    width = max(len(label) for label in LABELS.values())
    for name, label in LABELS.items():
        value = figures[name]
        print(f"  {label:<{width}}  {'-' if value is None else value}")
    return 0


def _json_value(value: object) -> str:
    """Money stays an exact decimal string in JSON; timestamps are ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _utc(value: object) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M}" if isinstance(value, datetime) else str(value)
