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

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import UserError
from routing_analytics.warehouse.relations import READER_ROLE

API_DATABASE_URL_VAR = "ANALYTICS_API_DATABASE_URL"
POOL_SIZE_VAR = "ANALYTICS_API_POOL_SIZE"
DEFAULT_POOL_SIZE = 10
STATEMENT_TIMEOUT = "15s"
# After `begin read only` (the connections are read-only), one round trip: the role, the
# timeout and the tenant, each for this transaction only (`set_config(..., true)` is `set
# local`, and setting `role` is `set role`, with the same membership check).
BECOME_READER = (
    "select set_config('role', %(role)s, true), set_config('statement_timeout', %(timeout)s, true)"
)
BECOME_TENANT_READER = BECOME_READER + ", set_config('app.tenant_id', %(tenant)s, true)"


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
        configure=_read_only,
        check=AsyncConnectionPool.check_connection,
        timeout=10,
        open=False,
    )


async def _read_only(conn: AsyncConnection[Any]) -> None:
    await conn.set_read_only(True)


@asynccontextmanager
async def tenant_transaction(
    pool: AsyncConnectionPool[AsyncConnection[Any]], tenant: str | None
) -> AsyncIterator[AsyncConnection[Any]]:
    """A read-only transaction as the reader role, for `tenant` (None: no tenant, which
    row-level security answers with no tenant rows)."""
    async with pool.connection() as conn, conn.transaction():
        settings = {"role": READER_ROLE, "timeout": STATEMENT_TIMEOUT, "tenant": tenant}
        await conn.execute(BECOME_READER if tenant is None else BECOME_TENANT_READER, settings)
        yield conn
