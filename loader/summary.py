"""The short, readable report at the end of `make demo` (and `routing-analytics summary`)."""

from __future__ import annotations

from decimal import Decimal

import psycopg

from loader import db
from loader.config import Settings
from loader.dbt import ensure_database
from loader.errors import UserError

STREAM_COUNTS = """
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
from staging.stg_router__stream_reconciliation as reconciliation
left join (
    select stream, count(*) as files, sum(lines_read) as lines_read,
        sum(rows_quarantined) as rows_quarantined
    from raw.loads where status = 'succeeded' group by stream
) as loads on loads.stream = reconciliation.stream
order by reconciliation.stream
"""

TOP_REJECTIONS = """
select stream, rejection_reason, count(*) as records
from staging.stg_router__rejected_records
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


def print_summary(settings: Settings) -> int:
    ensure_database(settings)
    with db.connect(settings) as conn:
        built = conn.execute("select to_regclass('staging.stg_router__stream_reconciliation')")
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
    print(f"Connect:  psql {settings.display_url}")
    print("Schemas:  raw (landed), staging (typed, deduplicated, rejected)")
    return 0


def _print_table(conn: psycopg.Connection, query: str) -> None:
    cursor = conn.execute(query)
    headers = [column.name for column in cursor.description or ()]
    rows = [[_cell(value) for value in row] for row in cursor.fetchall()]
    if not rows:
        print("  (none)")
        return
    widths = [max(len(text) for text in column) for column in zip(headers, *rows, strict=False)]
    for line in (headers, ["-" * width for width in widths], *rows):
        print(
            "  " + "  ".join(_align(text, width) for text, width in zip(line, widths, strict=True))
        )


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
    numeric = text.replace(",", "").replace(".", "").lstrip("-").isdigit()
    return text.rjust(width) if numeric else text.ljust(width)
