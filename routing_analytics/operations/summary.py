"""The short, readable report at the end of `make demo` (and `routing-analytics summary`).

It ends with what the warehouse is for, over the 30 days ending with the newest task's day:
per tenant, the figures customers are shown (analytics.customer_roi_snapshots on its newest
snapshot_date, where the conservative rules are applied), and the provider comparison of the
design document (7.2) over analytics.task_executions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

import psycopg

from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import UserError
from routing_analytics.warehouse.dbt import ensure_database
from routing_analytics.warehouse.relations import (
    CUSTOMER_ROI_SNAPSHOTS,
    REJECTED_RECORDS,
    STREAM_RECONCILIATION,
    TASK_EXECUTIONS,
)

STREAM_COUNTS = f"""
select
    reconciliation.stream,
    coalesce(loads.files, 0) as files,
    coalesce(loads.lines_read, 0) as lines_read,
    coalesce(loads.rows_quarantined, 0) as quarantined,
    reconciliation.raw_rows as records,
    reconciliation.embedded_rows as embedded,
    reconciliation.staged_rows as staged,
    reconciliation.rejected_rows as rejected,
    reconciliation.duplicate_rows as duplicates
from {STREAM_RECONCILIATION} as reconciliation
left join (
    select stream, count(*) as files, sum(lines_read) as lines_read,
        sum(rows_quarantined) as rows_quarantined
    from raw.loads where status = 'succeeded' group by stream
) as loads on loads.stream = reconciliation.stream
order by reconciliation.stream
"""

TOP_REJECTIONS = f"""
select stream, rejection_reason, count(*) as records
from {REJECTED_RECORDS}
group by stream, rejection_reason
order by records desc, stream, rejection_reason
limit 8
"""

TOP_QUARANTINE = """
select stream, regexp_replace(reason, ' \\(column \\d+\\)$', '') as reason, count(*) as lines
from raw.quarantined_lines
group by 1, 2
order by lines desc, 1, 2
limit 5
"""

WINDOW_DAYS = 30
TENANT_HEADERS = (
    "tenant",
    "completed tasks",
    "cost",
    "baseline",
    "savings",
    "savings %",
    "most efficient provider",
)
PROVIDER_HEADERS = (
    "provider",
    "tasks completed",
    "avg duration (ms)",
    "avg cost (USD)",
    "success rate",
)

NEWEST_SNAPSHOT = f"""
select max(snapshot_date) from {CUSTOMER_ROI_SNAPSHOTS}
"""

TENANT_ROI = f"""
select
    tenant_id,
    tasks_completed_30d,
    total_cost_30d,
    total_baseline_30d,
    total_savings_30d,
    savings_percentage_30d,
    most_efficient_provider
from {CUSTOMER_ROI_SNAPSHOTS}
where snapshot_date = %s
order by tenant_id
"""

# Design document 7.2 over completed tasks; the success rate over every execution.
PROVIDER_TOTALS = f"""
select
    provider_used,
    count(*) filter (where status = 'completed') as completed,
    count(*) as executions,
    coalesce(sum(duration_ms) filter (where status = 'completed'), 0) as duration_ms,
    count(duration_ms) filter (where status = 'completed') as durations,
    coalesce(sum(cost_actual) filter (where status = 'completed'), 0) as cost_usd,
    count(cost_actual) filter (where status = 'completed') as costs
from {TASK_EXECUTIONS}
where timestamp_start >= %s and timestamp_start < %s
group by provider_used
order by completed desc, provider_used
"""


def print_summary(settings: Settings) -> int:
    ensure_database(settings)
    with db.connect(settings) as conn:
        built = conn.execute(f"select to_regclass('{STREAM_RECONCILIATION}')")
        if built.fetchone() in (None, (None,)):
            raise UserError(
                "nothing to summarise yet: run `routing-analytics load` and "
                "`routing-analytics build` first"
            )
        print()
        print(
            "Per stream: lines read = landed + quarantined; records = staged + rejected +"
            " duplicates"
        )
        print("(records of routing_decisions include the decisions embedded in task executions)")
        _print_table(conn, STREAM_COUNTS)
        print()
        print("Top rejection reasons (landed records that failed validation)")
        _print_table(conn, TOP_REJECTIONS)
        print()
        print("Top quarantine reasons (lines that were not records)")
        _print_table(conn, TOP_QUARANTINE)
        print()
        print(f"Database: {settings.display_url}")
        print('Connect:  psql "$(.venv/bin/routing-analytics db url --with-password)"')
        print("Schemas:  raw (landed), staging (typed, deduplicated, rejected), analytics (marts)")
        _print_marts(conn)
    return 0


def _print_marts(conn: psycopg.Connection) -> None:
    """Savings per tenant and the provider comparison, the 30 days ending at the newest task."""
    print()
    built = conn.execute(f"select to_regclass('{CUSTOMER_ROI_SNAPSHOTS}')").fetchone()
    newest = conn.execute(NEWEST_SNAPSHOT).fetchone() if built != (None,) else None
    if newest is None or newest[0] is None:
        print("Savings per tenant: no marts yet (run `routing-analytics build` after a load)")
        return
    last_day: date = newest[0]
    first_day = last_day - timedelta(days=WINDOW_DAYS - 1)
    end_day = last_day + timedelta(days=1)
    print(
        f"Per tenant, the last {WINDOW_DAYS} days: {first_day} 00:00 to {end_day} 00:00 UTC"
        " (end excluded), ending with the newest task's day"
    )
    print(
        f"({CUSTOMER_ROI_SNAPSHOTS} of that day: completed priced tasks; USD and % floored,"
        " never rounded up, a loss shown as a loss; positive savings under 1 % of the baseline"
        f" are shown as 0; the same figures as `routing-analytics roi --as-of {end_day}`)"
    )
    tenants = conn.execute(TENANT_ROI, (last_day,)).fetchall()
    _print_rows(TENANT_HEADERS, [_tenant_row(*row) for row in tenants])
    print()
    print(f"Per provider, the same {WINDOW_DAYS} days, all tenants")
    print(
        f"({TASK_EXECUTIONS}: completed tasks, as the design's comparison; averages and"
        " the success rate, completed / executions, floored)"
    )
    start = datetime.combine(first_day, time(), UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(), UTC)
    providers = conn.execute(PROVIDER_TOTALS, (start, end)).fetchall()
    _print_rows(PROVIDER_HEADERS, [_provider_row(*row) for row in providers])


def _tenant_row(
    tenant: str,
    tasks: int,
    cost: Decimal,
    baseline: Decimal,
    savings: Decimal,
    percentage: Decimal,
    provider: str | None,
) -> list[str]:
    return [
        tenant,
        f"{tasks:,}",
        _money(cost),
        _money(baseline),
        _money(savings),
        _percent(percentage),
        provider or "-",
    ]


def _provider_row(
    provider: str,
    completed: int,
    executions: int,
    duration_ms: Decimal,
    durations: int,
    cost_usd: Decimal,
    costs: int,
) -> list[str]:
    return [
        provider,
        f"{completed:,}",
        _money(_floor_ratio(duration_ms, durations, 0)),
        _money(_floor_ratio(cost_usd, costs, 4)),
        _percent(_floor_ratio(100 * completed, executions, 2)),
    ]


def _floor_ratio(numerator: Decimal | int, denominator: int, places: int) -> Decimal | None:
    """numerator / denominator floored to `places` decimals, exactly (never rounded up);
    None when there is nothing to divide by."""
    if denominator == 0:
        return None
    return Decimal(math.floor(Fraction(numerator) * 10**places / denominator)).scaleb(-places)


def _money(value: Decimal | None) -> str:
    """A figure as it was floored, with thousands separators; nothing is rounded here."""
    return "-" if value is None else f"{value:,f}"


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{int(value)}%" if value == value.to_integral_value() else f"{value:f}%"


def _print_table(conn: psycopg.Connection, query: str) -> None:
    cursor = conn.execute(query)
    headers = [column.name for column in cursor.description or ()]
    _print_rows(headers, [[_cell(value) for value in row] for row in cursor.fetchall()])


def _print_rows(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if not rows:
        print("  (none)")
        return
    widths = [max(len(text) for text in column) for column in zip(headers, *rows, strict=False)]
    for line in (headers, ["-" * width for width in widths], *rows):
        cells = (_align(text, width) for text, width in zip(line, widths, strict=True))
        print(("  " + "  ".join(cells)).rstrip())


def _cell(value: object) -> str:
    """Counts with thousands separators; money and percentages exactly as the marts show them."""
    if isinstance(value, int) or (
        isinstance(value, Decimal) and int(value.as_tuple().exponent) >= 0
    ):
        return f"{int(value):,}"
    if value is None:
        return "-"
    return str(value)


def _align(text: str, width: int) -> str:
    numeric = text.replace(",", "").replace(".", "").lstrip("-").rstrip("%").isdigit()
    return text.rjust(width) if numeric else text.ljust(width)
