"""The API's endpoints: the marts' figures for the tenant of the request, JSON or CSV.

Windows are half-open and stated in every answer: "the last N days" are N whole UTC days,
today included, as in analytics.calculate_roi. Lists answer `Accept: text/csv` too.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from routing_analytics.api import models, queries
from routing_analytics.api.access import ApiError, TenantReader
from routing_analytics.api.database import tenant_transaction

MAX_DAYS = 731
MAX_PAGE = 1000
MAX_CURSOR_CHARS = 200
CSV_MEDIA_TYPE = "text/csv"
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
AUTH_FAILURES: dict[int | str, dict[str, Any]] = {
    401: {"model": models.Error, "description": "No valid bearer token: no data"}
}
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_FAILURES,
    200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}},
}
Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="Whole UTC days, today included")]

router = APIRouter()


@router.get("/healthz", response_model=models.Health, tags=["operations"])
async def healthz() -> models.Health:
    """The process answers."""
    return models.Health(status="ok")


@router.get(
    "/readyz",
    response_model=models.Health,
    responses={503: {"model": models.Error}},
    tags=["operations"],
)
async def readyz(request: Request) -> Any:
    """The database answers and the marts are published."""
    pool: AsyncConnectionPool[AsyncConnection[Any]] = request.app.state.pool
    async with tenant_transaction(pool, None) as conn:
        ready = await queries.one(conn, queries.READY)
    if not ready or not next(iter(ready.values())):
        raise ApiError(503, "the marts are not published yet")
    return models.Health(status="ready")


@router.get("/v1/savings", response_model=models.Savings, responses=AUTH_FAILURES)
async def savings(
    reader: TenantReader,
    period: Annotated[str, Query(pattern="^month$", description="month: this UTC month")] = (
        "month"
    ),
) -> models.Savings:
    """The real-time savings counter (design 7.1): conservative savings of this month."""
    figures = await queries.one(reader.conn, queries.SAVINGS_THIS_MONTH)
    assert figures is not None
    return models.Savings(
        tenant_id=reader.tenant,
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


@router.get("/v1/roi", response_model=models.Roi, responses=AUTH_FAILURES)
async def roi(
    reader: TenantReader,
    days: Days = 30,
    as_of: Annotated[
        datetime | None,
        Query(description="The window ends at the first UTC midnight at or after this"),
    ] = None,
) -> models.Roi:
    """The ROI calculator (design 6.1): analytics.calculate_roi's figures."""
    figures = await queries.one(reader.conn, queries.ROI, {"days": days, "as_of": _aware(as_of)})
    assert figures is not None
    snapshot = None
    if days == 30:
        last_day = (figures["period_end"] - timedelta(days=1)).astimezone(UTC).date()
        snapshot = await queries.one(reader.conn, queries.ROI_SNAPSHOT, {"day": last_day})
    return models.Roi(
        tenant_id=reader.tenant,
        window=_window_of(figures),
        **{name: figures[name] for name in ROI_FIGURES},
        total_cost_exact_usd=figures["total_cost_exact"],
        baseline_cost_exact_usd=figures["baseline_cost_exact"],
        total_savings_exact_usd=figures["total_savings_exact"],
        snapshot=models.RoiSnapshot(**snapshot) if snapshot else None,
    )


@router.get("/v1/providers", response_model=models.Providers, responses=LIST_RESPONSES)
async def providers(request: Request, reader: TenantReader, days: Days = 7) -> Any:
    """Provider comparison (design 7.2): tasks, success rate, duration, average cost."""
    window = last_days(days)
    found = await queries.every(reader.conn, queries.PROVIDERS, _bounds(window))
    rows = [_provider_row(row) for row in found]
    return _answer(request, models.Providers(window=window, rows=rows), rows)


@router.get("/v1/cost-trend", response_model=models.CostTrend, responses=LIST_RESPONSES)
async def cost_trend(request: Request, reader: TenantReader, days: Days = 30) -> Any:
    """Daily cost, cost without routing and savings (design 7.3)."""
    window = _day_window(last_days(days))
    found = await queries.every(reader.conn, queries.DAILY_USAGE, window.model_dump())
    rows = [_cost_trend_row(row) for row in found]
    return _answer(request, models.CostTrend(window=window, rows=rows), rows)


@router.get("/v1/routing", response_model=models.Routing, responses=LIST_RESPONSES)
async def routing(request: Request, reader: TenantReader, days: Days = 30) -> Any:
    """Routing decisions by reason and strategy (design 1.2)."""
    window = last_days(days)
    found = await queries.every(reader.conn, queries.ROUTING, _bounds(window))
    total = sum(row["decisions"] for row in found)
    rows = [
        models.RoutingRow(
            **row, share_percentage=_floor(Decimal(100 * row["decisions"]) / total, 2)
        )
        for row in found
    ]
    return _answer(request, models.Routing(window=window, rows=rows), rows)


@router.get("/v1/usage", response_model=models.Usage, responses=LIST_RESPONSES)
async def usage(
    request: Request,
    reader: TenantReader,
    from_: Annotated[
        date | None, Query(alias="from", description="First UTC day (default: 30 days ago)")
    ] = None,
    to: Annotated[
        date | None, Query(description="First UTC day not included (default: tomorrow)")
    ] = None,
) -> Any:
    """Usage analytics per day: users, API calls, tasks by type, cost and savings."""
    end_day = to or last_days(1).end.date()
    first_day = from_ or end_day - timedelta(days=30)
    if not timedelta(0) < end_day - first_day <= timedelta(days=MAX_DAYS):
        raise ApiError(422, f"`from` must come before `to`, at most {MAX_DAYS} days")
    window = models.DayWindow(first_day=first_day, end_day=end_day)
    found = await queries.every(reader.conn, queries.DAILY_USAGE, window.model_dump())
    rows = [models.UsageRow(**row) for row in found]
    return _answer(request, models.Usage(window=window, rows=rows), rows)


@router.get("/v1/tasks", response_model=models.Tasks, responses=LIST_RESPONSES)
async def tasks(
    request: Request,
    reader: TenantReader,
    from_: Annotated[
        datetime | None, Query(alias="from", description="Start at or after (default: 7 days)")
    ] = None,
    to: Annotated[datetime | None, Query(description="Start before (default: now)")] = None,
    provider: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=64)] = None,
    task_type: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_CHARS)] = None,
) -> Any:
    """Task executions, newest first, keyset-paginated (follow `next_cursor`)."""
    end = _aware(to) or last_days(1).end
    start = _aware(from_) or end - timedelta(days=7)
    if start >= end:
        raise ApiError(422, "`from` must come before `to`")
    found = await queries.tasks_page(
        reader.conn,
        start=start,
        end=end,
        filters={"provider": provider, "status": status, "task_type": task_type},
        after=_decode_cursor(cursor) if cursor else None,
        limit=limit,
    )
    page = [models.TaskRow(**row) for row in found[:limit]]
    next_cursor = _encode_cursor(page[-1]) if len(found) > limit else None
    document = models.Tasks(
        window=models.Window(start=start, end=end), rows=page, next_cursor=next_cursor
    )
    answer = _answer(request, document, page)
    if next_cursor is not None:
        answer.headers["X-Next-Cursor"] = next_cursor
    return answer


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


def last_days(days: int, now: datetime | None = None) -> models.Window:
    """The last `days` whole UTC days as of now, today included (calculate_roi's window)."""
    now = now or datetime.now(UTC)
    midnight = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    end = now if midnight == now else midnight + timedelta(days=1)
    return models.Window(start=end - timedelta(days=days), end=end)


def _day_window(window: models.Window) -> models.DayWindow:
    return models.DayWindow(first_day=window.start.date(), end_day=window.end.date())


def _bounds(window: models.Window) -> dict[str, datetime]:
    return {"start": window.start, "end": window.end}


def _window_of(figures: dict[str, Any]) -> models.Window:
    return models.Window(start=figures["period_start"], end=figures["period_end"])


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _floor(value: Decimal, places: int) -> Decimal:
    """Shown figures are floored, never rounded up (the marts' floor_to_places)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR)


def _floor_or_none(value: Decimal | None, places: int) -> Decimal | None:
    return None if value is None else _floor(value, places)


def _headline(savings: Decimal, tasks_completed: int) -> str:
    if tasks_completed == 0:
        return "No completed task yet this month"
    if savings < 0:
        return f"Routing cost you ${-savings:,.2f} more this month"
    return f"You saved ${savings:,.2f} this month"


def _provider_row(row: dict[str, Any]) -> models.ProviderRow:
    return models.ProviderRow(
        provider=row["provider"],
        tasks=row["tasks"],
        tasks_completed=row["tasks_completed"],
        success_rate_percentage=_floor(100 * row["success_rate"], 2),
        avg_duration_ms=None
        if row["avg_duration_ms"] is None
        else int(_floor(row["avg_duration_ms"], 0)),
        p95_duration_ms=row["p95_duration_ms"],
        tasks_completed_priced=row["tasks_completed_priced"],
        avg_cost_usd=_floor_or_none(row["avg_cost"], 4),
        avg_cost_exact_usd=row["avg_cost"],
    )


def _cost_trend_row(row: dict[str, Any]) -> models.CostTrendRow:
    return models.CostTrendRow(
        date=row["date"],
        cost_usd=_floor(row["completed_cost_exact_usd"] or Decimal(0), 2),
        baseline_usd=_floor(row["completed_baseline_exact_usd"] or Decimal(0), 2),
        savings_usd=row["total_savings"],
        cost_exact_usd=row["completed_cost_exact_usd"],
        baseline_exact_usd=row["completed_baseline_exact_usd"],
        savings_exact_usd=row["completed_savings_exact_usd"],
        all_status_cost_usd=row["total_cost"],
    )


def _encode_cursor(row: models.TaskRow) -> str:
    payload = orjson.dumps([row.timestamp_start.isoformat(), str(row.id)])
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        start, task_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(start), str(UUID(task_id))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise ApiError(422, "`cursor` is not one this API gave out") from None


def _answer(request: Request, document: BaseModel, rows: Sequence[BaseModel]) -> Response:
    if CSV_MEDIA_TYPE in request.headers.get("accept", ""):
        return Response(_csv(rows), media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8")
    return Response(document.model_dump_json(), media_type="application/json")


def _csv(rows: Sequence[BaseModel]) -> str:
    out = io.StringIO()
    writer: Any = None
    for row in rows:
        values = row.model_dump(mode="json")
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(values), lineterminator="\n")
            writer.writeheader()
        writer.writerow({name: _csv_cell(value) for name, value in values.items()})
    return out.getvalue()


def _csv_cell(value: object) -> object:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            Decimal(value)  # money and numbers are strings in JSON: they stay as they are
        except ArithmeticError:
            return "'" + value
    return value
