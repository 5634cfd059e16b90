"""The service's connection pool and the one way a request reads: a tenant's transaction.

Each request borrows a connection and opens a read-only transaction in which it becomes the
reader role and names its tenant with `set_config(..., true)`: both end with the
transaction, so a pooled connection never carries a tenant or a role into the next request.
Row-level security on the marts does the isolation; without a tenant a reader sees nothing.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import UserError
from routing_analytics.warehouse.relations import READER_ROLE

API_DATABASE_URL_VAR = "ANALYTICS_API_DATABASE_URL"
POOL_SIZE_VAR = "ANALYTICS_API_POOL_SIZE"
DEFAULT_POOL_SIZE = 10
STATEMENT_TIMEOUT = "15s"
BEGIN_AS_READER = sql.SQL(
    "set transaction read only; set local role {}; set local statement_timeout = {}"
).format(sql.Identifier(READER_ROLE), sql.Literal(STATEMENT_TIMEOUT))
SET_TENANT = "select set_config('app.tenant_id', %s, true)"


def api_database_url(settings: Settings) -> str:
    """A reader login's URL (`create-login NAME --role reader`) when configured, else the
    project's connection, which becomes the reader role inside every transaction."""
    return os.environ.get(API_DATABASE_URL_VAR, "").strip() or settings.database_url


def pool_size() -> int:
    raw = os.environ.get(POOL_SIZE_VAR, str(DEFAULT_POOL_SIZE))
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise UserError(f"{POOL_SIZE_VAR}={raw!r} is not a pool size (1-200)")
    return int(raw)


def new_pool(url: str, size: int) -> AsyncConnectionPool[AsyncConnection[Any]]:
    return AsyncConnectionPool(
        url,
        min_size=min(2, size),
        max_size=size,
        kwargs={"autocommit": True, "application_name": "routing-analytics-api"},
        check=AsyncConnectionPool.check_connection,
        timeout=10,
        open=False,
    )


@asynccontextmanager
async def tenant_transaction(
    pool: AsyncConnectionPool[AsyncConnection[Any]], tenant: str | None
) -> AsyncIterator[AsyncConnection[Any]]:
    """A read-only transaction as the reader role, for `tenant` (None: no tenant, which
    row-level security answers with no tenant rows)."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(BEGIN_AS_READER)
        if tenant is not None:
            await conn.execute(SET_TENANT, (tenant,))
        yield conn
