"""Who is asking: a bearer JWT verified with the configured key, reduced to its tenant.

One key source at a time, from the environment: an HS256 secret (ANALYTICS_JWT_SECRET or the
file named by ANALYTICS_JWT_SECRET_FILE), an RSA or EC public key in PEM
(ANALYTICS_JWT_PUBLIC_KEY_FILE: RS256 or ES256) or a JWKS file (ANALYTICS_JWT_JWKS_FILE, the
key chosen by the token's `kid`). With none of them, the local development secret that
`routing-analytics token` signs with. The accepted algorithms are a fixed allow-list, never
the token's own say: `alg: none` and an HMAC token against a public key are refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from routing_analytics.api.tokens import development_secret, development_token
from routing_analytics.platform.errors import UserError

SECRET_VAR = "ANALYTICS_JWT_SECRET"
SECRET_FILE_VAR = "ANALYTICS_JWT_SECRET_FILE"
PUBLIC_KEY_FILE_VAR = "ANALYTICS_JWT_PUBLIC_KEY_FILE"
JWKS_FILE_VAR = "ANALYTICS_JWT_JWKS_FILE"
AUDIENCE_VAR = "ANALYTICS_JWT_AUDIENCE"
ISSUER_VAR = "ANALYTICS_JWT_ISSUER"
TENANT_CLAIM_VAR = "ANALYTICS_JWT_TENANT_CLAIM"
DEFAULT_TENANT_CLAIM = "tenant_id"
HMAC_ALGORITHM = "HS256"
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256")
# RFC 7518 asks HS256 keys of at least the hash size.
MIN_SECRET_BYTES = 32
# The warehouse's own tenant key rule (dbt vars tenant_id_pattern and tenant_id_max_length):
# a token naming anything else names no tenant of ours.
TENANT_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,127}")
MAX_TOKEN_CHARS = 8192
CLOCK_LEEWAY_SECONDS = 30


class AuthenticationError(Exception):
    """The request proves no tenant: answered 401, with this message and no data."""


@dataclass(frozen=True)
class TokenVerifier:
    """Verifies a bearer token and returns its tenant."""

    keys: Mapping[str | None, tuple[Any, str]] = field(repr=False)
    audience: str | None
    issuer: str | None
    tenant_claim: str
    source: str

    def tenant_of(self, token: str) -> str:
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise AuthenticationError("a bearer token is required")
        try:
            key, algorithm = self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={
                    "require": ["exp"],
                    "verify_aud": self.audience is not None,
                    "verify_iss": self.issuer is not None,
                },
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthenticationError("the token is not valid yet") from None
        except jwt.InvalidTokenError as error:
            raise AuthenticationError(f"the token is not valid: {error}") from None
        tenant = claims.get(self.tenant_claim)
        if not isinstance(tenant, str) or not TENANT_ID.fullmatch(tenant):
            raise AuthenticationError(f"the token names no tenant (claim {self.tenant_claim!r})")
        return tenant

    def _key_for(self, token: str) -> tuple[Any, str]:
        if None in self.keys:
            return self.keys[None]
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str) or kid not in self.keys:
            raise AuthenticationError("the token's key id (kid) is not one of the JWKS keys")
        return self.keys[kid]


def verifier_from_environment(state_dir: Path) -> TokenVerifier:
    """The verifier the environment configures; the development secret when none does."""
    sources = {
        name: os.environ[name]
        for name in (SECRET_VAR, SECRET_FILE_VAR, PUBLIC_KEY_FILE_VAR, JWKS_FILE_VAR)
        if os.environ.get(name)
    }
    if len(sources) > 1:
        raise UserError(f"set only one of {', '.join(sources)}: one key source at a time")
    audience = os.environ.get(AUDIENCE_VAR) or None
    issuer = os.environ.get(ISSUER_VAR) or None
    claim = os.environ.get(TENANT_CLAIM_VAR) or DEFAULT_TENANT_CLAIM
    name, value = next(iter(sources.items()), (None, ""))
    if name == PUBLIC_KEY_FILE_VAR:
        keys: dict[str | None, tuple[Any, str]] = {None: _public_key(Path(value))}
    elif name == JWKS_FILE_VAR:
        keys = _jwks(Path(value))
    else:
        keys = {None: (signing_secret(state_dir), HMAC_ALGORITHM)}
    return TokenVerifier(keys, audience, issuer, claim, name or "development secret")


def signing_secret(state_dir: Path) -> bytes:
    """The HS256 secret: configured, else the local development secret (made on first use)."""
    if os.environ.get(SECRET_VAR):
        secret = os.environ[SECRET_VAR].encode()
    elif os.environ.get(SECRET_FILE_VAR):
        secret = _read(Path(os.environ[SECRET_FILE_VAR]), SECRET_FILE_VAR).strip()
    elif os.environ.get(PUBLIC_KEY_FILE_VAR) or os.environ.get(JWKS_FILE_VAR):
        raise UserError(
            "tokens are verified with a public key here: they are signed by the identity"
            " provider, not by this command"
        )
    else:
        return development_secret(state_dir)
    if len(secret) < MIN_SECRET_BYTES:
        raise UserError(f"the HS256 secret must be at least {MIN_SECRET_BYTES} bytes")
    return secret


def development_token_for(state_dir: Path, tenant: str, lifetime: timedelta) -> str:
    """A token for `tenant` that `serve` accepts when it verifies with a secret: signed with
    it, with the configured tenant claim, audience and issuer."""
    if not TENANT_ID.fullmatch(tenant):
        raise UserError(f"{tenant!r} is not a tenant id (lowercase, digits, _ . -)")
    return development_token(
        signing_secret(state_dir),
        tenant,
        lifetime,
        tenant_claim=os.environ.get(TENANT_CLAIM_VAR) or DEFAULT_TENANT_CLAIM,
        audience=os.environ.get(AUDIENCE_VAR) or None,
        issuer=os.environ.get(ISSUER_VAR) or None,
    )


def _public_key(path: Path) -> tuple[Any, str]:
    try:
        key = load_pem_public_key(_read(path, PUBLIC_KEY_FILE_VAR))
    except ValueError as error:
        raise UserError(f"{PUBLIC_KEY_FILE_VAR}: not a PEM public key: {error}") from None
    if isinstance(key, rsa.RSAPublicKey):
        return key, "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key, "ES256"
    raise UserError(f"{PUBLIC_KEY_FILE_VAR}: an RSA or EC public key is needed")


def _jwks(path: Path) -> dict[str | None, tuple[Any, str]]:
    try:
        key_set = jwt.PyJWKSet.from_json(_read(path, JWKS_FILE_VAR).decode())
    except (jwt.PyJWKSetError, jwt.PyJWKError, ValueError) as error:
        raise UserError(f"{JWKS_FILE_VAR}: not a usable JWKS: {error}") from None
    keys: dict[str | None, tuple[Any, str]] = {}
    for jwk in key_set.keys:
        if jwk.key_id and jwk.algorithm_name in ASYMMETRIC_ALGORITHMS:
            keys[jwk.key_id] = (jwk.key, jwk.algorithm_name)
    if not keys:
        raise UserError(
            f"{JWKS_FILE_VAR}: no key with a kid for {' or '.join(ASYMMETRIC_ALGORITHMS)}"
        )
    return keys


def _read(path: Path, variable: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise UserError(f"{variable}: cannot read {path}: {error.strerror}") from None
