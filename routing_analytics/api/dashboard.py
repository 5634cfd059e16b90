"""The ROI dashboard at `/`: server-rendered HTML for one tenant, charts drawn offline.

The page shows the API's own documents (api/figures.py) read in the tenant's transaction.
The token comes from the Authorization header or from the sign-in form, kept in a cookie
that scripts cannot read (HttpOnly) and that no other site's page sends (SameSite=Strict).
Plotly's JavaScript is served from the plotly wheel: no CDN, no internet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from routing_analytics.api import figures, models
from routing_analytics.api.auth import AuthenticationError, TokenVerifier
from routing_analytics.api.database import tenant_transaction

TOKEN_COOKIE = "analytics_token"
PROVIDER_DAYS = 7
SECURITY_HEADERS = {
    # Plotly sets inline styles on the elements it draws; scripts come from here only.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATIC = resources.files("routing_analytics.api") / "static"
PLOTLY_JS = resources.files("plotly") / "package_data" / "plotly.min.js"
STATIC_FILES = {
    "dashboard.css": (STATIC / "dashboard.css", "text/css"),
    "dashboard.js": (STATIC / "dashboard.js", "text/javascript"),
    "plotly.min.js": (PLOTLY_JS, "text/javascript"),
}

router = APIRouter(include_in_schema=False)


def _money(value: Decimal | None, places: int = 2) -> str:
    """A shown figure, already floored by the API: grouped, never rounded again."""
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{places}f}"


def _percent(value: Decimal | None) -> str:
    """A whole percentage (the floored ones) without its trailing zeros."""
    if value is None:
        return "-"
    return f"{value.to_integral_value() if value == value.to_integral_value() else value} %"


def _day(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d}"


def _moment(value: datetime | None) -> str:
    return "no data yet" if value is None else f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


templates = Environment(
    loader=PackageLoader("routing_analytics.api", "templates"),
    autoescape=select_autoescape(default=True),
)
templates.filters.update(money=_money, percent=_percent, day=_day, moment=_moment)


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request) -> Response:
    token = _token_of(request)
    if token is None:
        return _page("login.html", error=None)
    verifier: TokenVerifier = request.app.state.verifier
    try:
        tenant = verifier.tenant_of(token)
    except AuthenticationError as error:
        page = _page("login.html", status=401, error=f"Please sign in again: {error}.")
        page.delete_cookie(TOKEN_COOKIE)
        return page
    async with tenant_transaction(request.app.state.pool, tenant) as conn:
        savings = await figures.savings_this_month(conn, tenant)
        roi = await figures.roi(conn, tenant, 30, None)
        trend = await figures.cost_trend(conn, 30)
        providers = await figures.provider_comparison(conn, PROVIDER_DAYS)
        routing = await figures.routing_mix(conn, 30)
        usage = await figures.daily_usage(conn, trend.window.first_day, trend.window.end_day)
        freshness = await figures.freshness(conn)
    charts = {"cost_trend": trend, "providers": providers, "routing": routing, "usage": usage}
    return _page(
        "dashboard.html",
        tenant=tenant,
        savings=savings,
        roi=roi,
        providers=providers,
        provider_days=PROVIDER_DAYS,
        freshness=freshness,
        notes=_notes(roi),
        chart_data={name: document.model_dump(mode="json") for name, document in charts.items()},
    )


@router.post("/login")
async def login(request: Request, token: Annotated[str, Form(max_length=8192)]) -> Response:
    verifier: TokenVerifier = request.app.state.verifier
    try:
        verifier.tenant_of(token.strip())
    except AuthenticationError as error:
        return _page("login.html", status=401, error=f"This token was not accepted: {error}.")
    answer = RedirectResponse("/", status_code=303)
    answer.set_cookie(
        TOKEN_COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return answer


@router.post("/logout")
async def logout() -> Response:
    answer = RedirectResponse("/", status_code=303)
    answer.delete_cookie(TOKEN_COOKIE, path="/")
    return answer


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return Response(status_code=404)
    path, media_type = STATIC_FILES[name]
    return Response(
        path.read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def _token_of(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    return request.cookies.get(TOKEN_COOKIE) or None


def _notes(roi: models.Roi) -> list[str]:
    """What makes the figures incomplete, said on the page rather than left out."""
    notes = []
    if not roi.complete and roi.detail_kept_from is not None:
        notes.append(
            f"Task details before {_day(roi.detail_kept_from)} are no longer kept (retention):"
            " the 30-day figures cover only the days from there."
        )
    if roi.unpriced_tasks:
        notes.append(
            f"{roi.unpriced_tasks} task(s) of the last 30 days have no cost data yet: they are"
            " not in the cost or the savings."
        )
    return notes


def _page(template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    html = templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
