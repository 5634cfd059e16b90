"""The analytics API (`routing-analytics serve`): the marts' figures for one tenant per request.

The tenant comes from the verified bearer token only (api/auth.py), never from the query or a
header of the caller's choosing; each request reads in its own tenant transaction
(api/database.py) and row-level security does the isolation. Lists answer `Accept: text/csv`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from routing_analytics.api import dashboard
from routing_analytics.api.access import ApiError
from routing_analytics.api.auth import TokenVerifier
from routing_analytics.api.database import new_pool
from routing_analytics.api.ingest import Ingestion
from routing_analytics.api.ingest import router as ingest_router
from routing_analytics.api.routes import router

API_TITLE = "Routing analytics API"


def create_app(
    verifier: TokenVerifier,
    database_url: str,
    pool_size: int,
    ingestion: Ingestion,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = new_pool(database_url, pool_size)
        await pool.open(wait=False)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title=API_TITLE,
        version="1",
        lifespan=lifespan,
        dependencies=[Depends(_known_query_parameters_only)],
    )
    app.state.verifier = verifier
    app.state.ingestion = ingestion
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(psycopg.OperationalError, _database_unavailable)
    app.include_router(router)
    app.include_router(ingest_router)
    app.include_router(dashboard.router)
    app.state.query_parameters = _query_parameters(app)
    return app


async def _known_query_parameters_only(request: Request) -> None:
    """A misspelt filter (`?provder=`) must not answer every row as if it had filtered, nor a
    `?tenant_id=` look as if it chose anything: a parameter the route does not document is
    refused (422)."""
    route = request.scope.get("route")
    documented: dict[tuple[str, str], frozenset[str]] = request.app.state.query_parameters
    known = documented.get((request.method, getattr(route, "path", "")))
    if known is None:  # not an API route (the dashboard's pages)
        return
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        takes = ", ".join(sorted(known)) or "none"
        raise ApiError(422, f"unknown query parameter(s) {names}; this route takes: {takes}")


def _query_parameters(app: FastAPI) -> dict[tuple[str, str], frozenset[str]]:
    """(method, path template) -> the query parameters the OpenAPI document gives it."""
    return {
        (method.upper(), path): frozenset(
            parameter["name"]
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "query"
        )
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
    }


async def _api_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse({"error": error.message}, status_code=error.status, headers=headers)


async def _invalid_request(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = [
        {"where": ".".join(str(part) for part in item.get("loc", ())), "why": item.get("msg")}
        for item in error.errors()
    ]
    return JSONResponse({"error": "invalid request", "details": details}, status_code=422)


async def _database_unavailable(_: Request, __: Exception) -> JSONResponse:
    return JSONResponse({"error": "the database is unavailable; try again"}, status_code=503)
