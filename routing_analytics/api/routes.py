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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from routing_analytics.api import figures, models, queries
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
    return await figures.savings_this_month(reader.conn, reader.tenant)


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
    return await figures.roi(reader.conn, reader.tenant, days, _aware(as_of))


@router.get("/v1/providers", response_model=models.Providers, responses=LIST_RESPONSES)
async def providers(request: Request, reader: TenantReader, days: Days = 7) -> Response:
    """Provider comparison (design 7.2): tasks, success rate, duration, average cost."""
    return _answer(request, await figures.provider_comparison(reader.conn, days))


@router.get("/v1/cost-trend", response_model=models.CostTrend, responses=LIST_RESPONSES)
async def cost_trend(request: Request, reader: TenantReader, days: Days = 30) -> Response:
    """Daily cost, cost without routing and savings (design 7.3)."""
    return _answer(request, await figures.cost_trend(reader.conn, days))


@router.get("/v1/routing", response_model=models.Routing, responses=LIST_RESPONSES)
async def routing(request: Request, reader: TenantReader, days: Days = 30) -> Response:
    """Routing decisions by reason and strategy (design 1.2)."""
    return _answer(request, await figures.routing_mix(reader.conn, days))


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
) -> Response:
    """Usage analytics per day: users, API calls, tasks by type, cost and savings."""
    end_day = to or figures.last_days(1).end.date()
    first_day = from_ or end_day - timedelta(days=30)
    if not timedelta(0) < end_day - first_day <= timedelta(days=MAX_DAYS):
        raise ApiError(422, f"`from` must come before `to`, at most {MAX_DAYS} days")
    return _answer(request, await figures.daily_usage(reader.conn, first_day, end_day))


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
    end = _aware(to) or figures.last_days(1).end
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
    answer = _answer(request, document)
    if next_cursor is not None:
        answer.headers["X-Next-Cursor"] = next_cursor
    return answer


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _encode_cursor(row: models.TaskRow) -> str:
    payload = orjson.dumps([row.timestamp_start.isoformat(), str(row.id)])
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        start, task_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(start), str(UUID(task_id))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise ApiError(422, "`cursor` is not one this API gave out") from None


def _answer(request: Request, document: models.Listing) -> Response:
    if CSV_MEDIA_TYPE in request.headers.get("accept", ""):
        return Response(_csv(document.rows), media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8")
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
