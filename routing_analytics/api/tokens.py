"""The local development secret for tokens, and the development tokens signed with it.

Made on first use beside the pseudonymisation key (the state folder), readable by its owner
only, like the embedded server's password. A real deployment configures its identity
provider's key instead (routing_analytics/api/auth.py) and never accepts these tokens.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

DEVELOPMENT_SECRET_FILE = "jwt-development.secret"


def development_secret(state_dir: Path) -> bytes:
    path = state_dir / DEVELOPMENT_SECRET_FILE
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
    return path.read_bytes().strip()


def development_token(
    secret: bytes,
    tenant: str,
    lifetime: timedelta,
    *,
    tenant_claim: str,
    audience: str | None,
    issuer: str | None,
) -> str:
    """An HS256 token for one tenant that the service accepts for `lifetime` from now."""
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": f"development:{tenant}",
        tenant_claim: tenant,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
    }
    if audience is not None:
        claims["aud"] = audience
    if issuer is not None:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm="HS256")
