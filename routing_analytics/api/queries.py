"""The questions the API and the dashboard ask of the published marts, as fixed SQL.

Every query runs inside a tenant's transaction (routing_analytics/api/database.py): row-level
security chooses the rows, so no query names a tenant; the ROI calculator, which takes one,
is given the transaction's own tenant setting. Request values reach the SQL as parameters
only; optional filters choose among fixed fragments.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from routing_analytics.warehouse.relations import (
    CALCULATE_ROI,
    CUSTOMER_ROI_SNAPSHOTS,
    RETENTION_HORIZONS,
    ROUTING_DECISIONS,
    TASK_EXECUTIONS,
    USAGE_ANALYTICS,
)

Row = dict[str, Any]
TENANT_SETTING = "current_setting('app.tenant_id', true)"

ROI = f"""
select * from {CALCULATE_ROI}({TENANT_SETTING}, %(days)s, coalesce(%(as_of)s, now()))
"""

# The ROI snapshot of the period's last day: most efficient provider, productivity, trends.
ROI_SNAPSHOT = f"""
select
    snapshot_date,
    most_efficient_provider,
    productivity_gain_30d,
    cost_trend,
    savings_trend,
    provider_usage_distribution
from {CUSTOMER_ROI_SNAPSHOTS}
where snapshot_date = %(day)s
"""

# "This month" is the last N whole UTC days as of now, N being today's day of the month.
SAVINGS_THIS_MONTH = f"""
select * from {CALCULATE_ROI}(
    {TENANT_SETTING}, cast(extract(day from now() at time zone 'UTC') as integer), now()
)
"""

# Nearest-rank p95 of the tasks themselves, as provider_performance computes it.
PROVIDERS = f"""
select
    provider_used as provider,
    count(*) as tasks,
    count(*) filter (where status = 'completed') as tasks_completed,
    count(*) filter (where status = 'completed') / cast(count(*) as numeric) as success_rate,
    avg(duration_ms) filter (where status = 'completed') as avg_duration_ms,
    percentile_disc(0.95) within group (order by duration_ms)
        filter (where status = 'completed') as p95_duration_ms,
    count(*) filter (where status = 'completed' and is_priced) as tasks_completed_priced,
    avg(cost_actual) filter (where status = 'completed' and is_priced) as avg_cost
from {TASK_EXECUTIONS}
where timestamp_start >= %(start)s and timestamp_start < %(end)s
group by provider_used
order by provider_used
"""

DAILY_USAGE = f"""
select
    date,
    active_users,
    new_users,
    tasks_created,
    completed_tasks,
    unpriced_tasks,
    api_calls_made,
    dashboard_views,
    tasks_by_type,
    total_cost,
    total_savings,
    total_cost_exact_usd,
    completed_cost_exact_usd,
    completed_baseline_exact_usd,
    completed_savings_exact_usd
from {USAGE_ANALYTICS}
where date >= %(first_day)s and date < %(end_day)s
order by date
"""

ROUTING = f"""
select
    routing_reason,
    routing_strategy,
    count(*) as decisions
from {ROUTING_DECISIONS}
where decided_at >= %(start)s and decided_at < %(end)s
group by routing_reason, routing_strategy
order by decisions desc, routing_reason, routing_strategy
"""

TASK_COLUMNS = sql.SQL(
    """
select
    id,
    task_type,
    provider_used,
    model,
    status,
    duration_ms,
    tokens_used,
    cost_actual,
    cost_baseline,
    savings,
    is_priced,
    cost_source,
    baseline_source,
    timestamp_start,
    timestamp_end
from {}
"""
).format(sql.SQL(TASK_EXECUTIONS))
TASK_FILTERS = {
    "provider": sql.SQL("provider_used = %(provider)s"),
    "status": sql.SQL("status = %(status)s"),
    "task_type": sql.SQL("task_type = %(task_type)s"),
    "after": sql.SQL("(timestamp_start, id) < (%(after_start)s, %(after_id)s)"),
}
TASK_ORDER = sql.SQL("order by timestamp_start desc, id desc limit %(rows)s")

FRESHNESS = f"""
select
    (select max(timestamp_start) from {TASK_EXECUTIONS}) as newest_task_start,
    (select detail_kept_from from {RETENTION_HORIZONS}) as detail_kept_from
"""

READY = f"""
select
    to_regclass('{TASK_EXECUTIONS}') is not null
    and to_regprocedure('{CALCULATE_ROI}(text, integer, timestamptz)') is not null
"""


async def one(conn: AsyncConnection[Any], query: str, params: Row | None = None) -> Row | None:
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchone()


async def every(
    conn: AsyncConnection[Any], query: str | sql.Composed, params: Row | None = None
) -> list[Row]:
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchall()


async def tasks_page(
    conn: AsyncConnection[Any],
    *,
    start: datetime,
    end: datetime,
    filters: Row,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Row]:
    """One page, newest first, plus one row more when there is a next page (keyset: the
    index on (tenant_id, timestamp_start) is read from the cursor on, never skipped)."""
    conditions = [sql.SQL("timestamp_start >= %(start)s and timestamp_start < %(end)s")]
    conditions += [TASK_FILTERS[name] for name, value in filters.items() if value is not None]
    params: Row = {"start": start, "end": end, "rows": limit + 1, **filters}
    if after is not None:
        conditions.append(TASK_FILTERS["after"])
        params |= {"after_start": after[0], "after_id": after[1]}
    query = sql.SQL("{} where {} {}").format(
        TASK_COLUMNS, sql.SQL(" and ").join(conditions), TASK_ORDER
    )
    return await every(conn, query, params)


def day_bounds(first_day: date, end_day: date) -> Row:
    return {"first_day": first_day, "end_day": end_day}
