"""Each answer's figures, built from the marts in the request's tenant transaction: the API
and the dashboard show the same documents, so a number on the page is the API's number.

"The last N days" are N whole UTC days, today included, as in analytics.calculate_roi;
shown figures are floored, never rounded up (the marts' floor_to_places).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from psycopg import AsyncConnection

from routing_analytics.api import models, queries

Connection = AsyncConnection[Any]
ROI_FIGURES = (
    "total_cost",
    "baseline_cost",
    "total_savings",
    "savings_percentage",
    "tasks_optimized",
    "avg_savings_per_task",
    "tasks_completed",
    "other_status_cost",
    "unpriced_tasks",
    "complete",
    "detail_kept_from",
)


async def savings_this_month(conn: Connection, tenant: str) -> models.Savings:
    figures = await queries.one(conn, queries.SAVINGS_THIS_MONTH)
    assert figures is not None
    return models.Savings(
        tenant_id=tenant,
        window=_window_of(figures),
        headline=_headline(figures["total_savings"], figures["tasks_completed"]),
        savings_usd=figures["total_savings"],
        savings_percentage=figures["savings_percentage"],
        cost_usd=figures["total_cost"],
        baseline_usd=figures["baseline_cost"],
        tasks_completed=figures["tasks_completed"],
        savings_exact_usd=figures["total_savings_exact"],
        cost_exact_usd=figures["total_cost_exact"],
        baseline_exact_usd=figures["baseline_cost_exact"],
        complete=figures["complete"],
    )


async def roi(conn: Connection, tenant: str, days: int, as_of: datetime | None) -> models.Roi:
    figures = await queries.one(conn, queries.ROI, {"days": days, "as_of": as_of})
    assert figures is not None
    snapshot = None
    if days == 30:
        last_day = (figures["period_end"] - timedelta(days=1)).astimezone(UTC).date()
        snapshot = await queries.one(conn, queries.ROI_SNAPSHOT, {"day": last_day})
    return models.Roi(
        tenant_id=tenant,
        window=_window_of(figures),
        **{name: figures[name] for name in ROI_FIGURES},
        total_cost_exact_usd=figures["total_cost_exact"],
        baseline_cost_exact_usd=figures["baseline_cost_exact"],
        total_savings_exact_usd=figures["total_savings_exact"],
        snapshot=models.RoiSnapshot(**snapshot) if snapshot else None,
    )


async def provider_comparison(conn: Connection, days: int) -> models.Providers:
    window = last_days(days)
    found = await queries.every(conn, queries.PROVIDERS, _bounds(window))
    return models.Providers(window=window, rows=[_provider_row(row) for row in found])


async def cost_trend(conn: Connection, days: int) -> models.CostTrend:
    window = _day_window(last_days(days))
    found = await queries.every(conn, queries.DAILY_USAGE, window.model_dump())
    return models.CostTrend(window=window, rows=[_cost_trend_row(row) for row in found])


async def routing_mix(conn: Connection, days: int) -> models.Routing:
    window = last_days(days)
    found = await queries.every(conn, queries.ROUTING, _bounds(window))
    total = sum(row["decisions"] for row in found)
    rows = [
        models.RoutingRow(**row, share_percentage=floor(100 * Decimal(row["decisions"]) / total, 2))
        for row in found
    ]
    return models.Routing(window=window, rows=rows)


async def daily_usage(conn: Connection, first_day: date, end_day: date) -> models.Usage:
    window = models.DayWindow(first_day=first_day, end_day=end_day)
    found = await queries.every(conn, queries.DAILY_USAGE, window.model_dump())
    return models.Usage(window=window, rows=[models.UsageRow(**row) for row in found])


async def freshness(conn: Connection) -> models.Freshness:
    found = await queries.one(conn, queries.FRESHNESS)
    assert found is not None
    return models.Freshness(**found)


def last_days(days: int, now: datetime | None = None) -> models.Window:
    """The last `days` whole UTC days as of now, today included (calculate_roi's window)."""
    now = now or datetime.now(UTC)
    midnight = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    end = now if midnight == now else midnight + timedelta(days=1)
    return models.Window(start=end - timedelta(days=days), end=end)


def floor(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR)


def _floor_or_none(value: Decimal | None, places: int) -> Decimal | None:
    return None if value is None else floor(value, places)


def _day_window(window: models.Window) -> models.DayWindow:
    return models.DayWindow(first_day=window.start.date(), end_day=window.end.date())


def _bounds(window: models.Window) -> dict[str, datetime]:
    return {"start": window.start, "end": window.end}


def _window_of(figures: dict[str, Any]) -> models.Window:
    return models.Window(start=figures["period_start"], end=figures["period_end"])


def _headline(savings: Decimal, tasks_completed: int) -> str:
    if tasks_completed == 0:
        return "No completed task yet this month"
    if savings < 0:
        return f"Routing cost you ${-savings:,.2f} more this month"
    return f"You saved ${savings:,.2f} this month"


def _provider_row(row: dict[str, Any]) -> models.ProviderRow:
    average_ms = row["avg_duration_ms"]
    return models.ProviderRow(
        provider=row["provider"],
        tasks=row["tasks"],
        tasks_completed=row["tasks_completed"],
        success_rate_percentage=floor(100 * row["success_rate"], 2),
        avg_duration_ms=None if average_ms is None else int(floor(average_ms, 0)),
        p95_duration_ms=row["p95_duration_ms"],
        tasks_completed_priced=row["tasks_completed_priced"],
        avg_cost_usd=_floor_or_none(row["avg_cost"], 4),
        avg_cost_exact_usd=row["avg_cost"],
    )


def _cost_trend_row(row: dict[str, Any]) -> models.CostTrendRow:
    return models.CostTrendRow(
        date=row["date"],
        cost_usd=floor(row["completed_cost_exact_usd"] or Decimal(0), 2),
        baseline_usd=floor(row["completed_baseline_exact_usd"] or Decimal(0), 2),
        savings_usd=row["total_savings"],
        cost_exact_usd=row["completed_cost_exact_usd"],
        baseline_exact_usd=row["completed_baseline_exact_usd"],
        savings_exact_usd=row["completed_savings_exact_usd"],
        all_status_cost_usd=row["total_cost"],
    )
