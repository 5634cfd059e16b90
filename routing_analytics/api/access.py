"""Who asks and what they may read: the tenant of a verified bearer token, its transaction.

The tenant comes from the token only, never from the query or a header of the caller's
choosing; every read of a request happens in its tenant transaction (api/database.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg import AsyncConnection

from routing_analytics.api.auth import AuthenticationError, TokenVerifier
from routing_analytics.api.database import tenant_transaction


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Reader:
    """A request's tenant and its open tenant transaction."""

    tenant: str
    conn: AsyncConnection[Any]


bearer = HTTPBearer(auto_error=False, description="A JWT whose tenant claim names the tenant")


async def verified_tenant(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    if credentials is None:
        raise ApiError(401, "a bearer token is required (Authorization: Bearer <JWT>)")
    # Verifying is microseconds of CPU: done on the event loop, not in a worker thread.
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return verifier.tenant_of(credentials.credentials)
    except AuthenticationError as error:
        raise ApiError(401, str(error)) from None


async def tenant_reader(
    request: Request, tenant: Annotated[str, Depends(verified_tenant)]
) -> AsyncIterator[Reader]:
    async with tenant_transaction(request.app.state.pool, tenant) as conn:
        yield Reader(tenant, conn)


TenantReader = Annotated[Reader, Depends(tenant_reader)]
