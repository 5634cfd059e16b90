"""The API's response documents: their fields are the OpenAPI schema clients code against.

Money is a decimal string in JSON (pydantic's default for Decimal): `*_exact_usd` at full
precision, the other money fields the conservative figures shown to customers (floored,
never rounded up; a loss shown as a loss). Every response states the window it covers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field


class Window(BaseModel):
    start: datetime = Field(description="First instant covered (UTC)")
    end: datetime = Field(description="First instant not covered (UTC): the end is excluded")


class DayWindow(BaseModel):
    first_day: date = Field(description="First UTC day covered")
    end_day: date = Field(description="First UTC day not covered: the end is excluded")


class Error(BaseModel):
    error: str


class Savings(BaseModel):
    tenant_id: str
    window: Window
    headline: str = Field(description='"You saved $X this month", or the loss as a loss')
    savings_usd: Decimal
    savings_percentage: Decimal | None
    cost_usd: Decimal
    baseline_usd: Decimal
    tasks_completed: int
    savings_exact_usd: Decimal | None
    cost_exact_usd: Decimal | None
    baseline_exact_usd: Decimal | None
    complete: bool = Field(description="False when retention removed part of the window")


class RoiSnapshot(BaseModel):
    snapshot_date: date
    most_efficient_provider: str | None
    productivity_gain_30d: Decimal | None
    cost_trend: str | None
    savings_trend: str | None
    provider_usage_distribution: dict[str, Decimal]


class Roi(BaseModel):
    """analytics.calculate_roi for the tenant and window (design document 6.1)."""

    tenant_id: str
    window: Window
    total_cost: Decimal
    baseline_cost: Decimal
    total_savings: Decimal
    savings_percentage: Decimal | None
    tasks_optimized: int
    avg_savings_per_task: Decimal | None
    tasks_completed: int
    other_status_cost: Decimal
    unpriced_tasks: int
    total_cost_exact_usd: Decimal | None
    baseline_cost_exact_usd: Decimal | None
    total_savings_exact_usd: Decimal | None
    complete: bool
    detail_kept_from: datetime | None
    snapshot: RoiSnapshot | None = Field(
        description="The 30-day ROI snapshot of the window's last day (30-day windows only)"
    )


class ProviderRow(BaseModel):
    provider: str
    tasks: int
    tasks_completed: int
    success_rate_percentage: Decimal = Field(description="Completed / all tasks, floored, 2 places")
    avg_duration_ms: int | None = Field(description="Completed tasks, floored")
    p95_duration_ms: int | None = Field(description="Completed tasks, nearest rank")
    tasks_completed_priced: int
    avg_cost_usd: Decimal | None = Field(description="Completed priced tasks, floored, 4 places")
    avg_cost_exact_usd: Decimal | None


class Providers(BaseModel):
    window: Window
    rows: list[ProviderRow]


class CostTrendRow(BaseModel):
    date: date
    cost_usd: Decimal = Field(description="Completed tasks' cost, floored")
    baseline_usd: Decimal = Field(description="Their cost without routing, floored")
    savings_usd: Decimal = Field(description="Conservative savings of the day")
    cost_exact_usd: Decimal | None
    baseline_exact_usd: Decimal | None
    savings_exact_usd: Decimal | None
    all_status_cost_usd: Decimal = Field(description="Every task's cost, floored")


class CostTrend(BaseModel):
    window: DayWindow
    rows: list[CostTrendRow]


class RoutingRow(BaseModel):
    routing_reason: str | None
    routing_strategy: str | None
    decisions: int
    share_percentage: Decimal = Field(description="Of the window's decisions, floored")


class Routing(BaseModel):
    window: Window
    rows: list[RoutingRow]


class UsageRow(BaseModel):
    date: date
    active_users: int
    new_users: int
    tasks_created: int
    completed_tasks: int
    unpriced_tasks: int
    api_calls_made: int
    dashboard_views: int
    tasks_by_type: dict[str, int]
    total_cost: Decimal
    total_savings: Decimal
    total_cost_exact_usd: Decimal | None
    completed_savings_exact_usd: Decimal | None


class Usage(BaseModel):
    window: DayWindow
    rows: list[UsageRow]


class TaskRow(BaseModel):
    id: UUID
    task_type: str
    provider_used: str
    model: str | None
    status: str
    duration_ms: int | None
    tokens_used: int | None
    cost_actual: Decimal | None = Field(description="Exact; null when unpriced")
    cost_baseline: Decimal | None
    savings: Decimal | None
    is_priced: bool
    cost_source: str | None
    baseline_source: str | None
    timestamp_start: datetime
    timestamp_end: datetime | None


class Tasks(BaseModel):
    window: Window
    rows: list[TaskRow]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class Freshness(BaseModel):
    newest_task_start: datetime | None = Field(description="The tenant's newest task")
    detail_kept_from: datetime | None = Field(description="Where retention's detail begins")


# The list documents: their rows are what a CSV export holds.
Listing = Providers | CostTrend | Routing | Usage | Tasks


class Health(BaseModel):
    status: str


class Ingested(BaseModel):
    """One request's load: the loader's own report, as `routing-analytics load --json`."""

    stream: str
    file: str = Field(description="The name the load has in raw.loads (its lineage)")
    status: str = Field(description="succeeded, or skipped: this body was landed before")
    load_id: int | None
    body_sha256: str | None = Field(description="The body's sha256: a retry is recognised by it")
    lines: int
    landed: int
    quarantined: int = Field(description="Lines kept in raw.quarantine with their reason")
    metadata_entries_removed: int
    error_message_redactions: int
    user_ids_pseudonymised: int
    seconds: float
    message: str | None = None
    warnings: list[str]
