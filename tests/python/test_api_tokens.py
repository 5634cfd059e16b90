"""The token verifier of `routing-analytics serve` with each key source it accepts: an HS256
secret, an RSA or EC public key, a JWKS; audience, issuer and tenant claim when configured;
and the algorithm confusions that a fixed allow-list refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from routing_analytics.api.auth import AuthenticationError, verifier_from_environment
from routing_analytics.platform.errors import UserError

SOON = timedelta(minutes=10)
KEY_VARIABLES = (
    "ANALYTICS_JWT_SECRET",
    "ANALYTICS_JWT_SECRET_FILE",
    "ANALYTICS_JWT_PUBLIC_KEY_FILE",
    "ANALYTICS_JWT_JWKS_FILE",
    "ANALYTICS_JWT_AUDIENCE",
    "ANALYTICS_JWT_ISSUER",
    "ANALYTICS_JWT_TENANT_CLAIM",
)


@pytest.fixture(autouse=True)
def no_configured_keys(monkeypatch):
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def claims(**extra: object) -> dict[str, object]:
    return {"tenant_id": "tenant_0001", "exp": datetime.now(UTC) + SOON, **extra}


def public_pem(private_key) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def hs256_by_hand(payload: dict[str, object], key: bytes) -> str:
    """PyJWT will not sign with a PEM key as an HMAC secret; an attacker would."""

    def part(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    body = {**payload, "exp": int(payload["exp"].timestamp())}
    signing_input = part(b'{"alg":"HS256","typ":"JWT"}') + b"." + part(json.dumps(body).encode())
    signature = part(hmac.new(key, signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature).decode()


def refused(verifier, token: str) -> str:
    with pytest.raises(AuthenticationError) as caught:
        verifier.tenant_of(token)
    return str(caught.value)


@pytest.mark.parametrize(
    ("private_key", "algorithm"),
    [
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
        (ec.generate_private_key(ec.SECP256R1()), "ES256"),
    ],
)
def test_a_public_key_verifies_its_own_algorithm_only(
    tmp_path, monkeypatch, private_key, algorithm
):
    pem = tmp_path / "public.pem"
    pem.write_bytes(public_pem(private_key))
    monkeypatch.setenv("ANALYTICS_JWT_PUBLIC_KEY_FILE", str(pem))
    verifier = verifier_from_environment(tmp_path / "state")
    assert verifier.tenant_of(jwt.encode(claims(), private_key, algorithm)) == "tenant_0001"
    # HS256 signed with the public key's own bytes: the classic confusion.
    assert "not valid" in refused(verifier, hs256_by_hand(claims(), pem.read_bytes()))
    other_key = ec.generate_private_key(ec.SECP256R1())
    assert "not valid" in refused(verifier, jwt.encode(claims(), other_key, "ES256"))
    assert "not valid" in refused(verifier, jwt.encode(claims(), None, "none"))
    # No development token is accepted once a real key is configured.
    assert not (tmp_path / "state").exists()


def test_a_jwks_chooses_the_key_by_kid(tmp_path, monkeypatch):
    signing = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing.public_key()))
    (tmp_path / "jwks.json").write_text(
        json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "RS256"}]})
    )
    monkeypatch.setenv("ANALYTICS_JWT_JWKS_FILE", str(tmp_path / "jwks.json"))
    verifier = verifier_from_environment(tmp_path / "state")
    token = jwt.encode(claims(), signing, "RS256", headers={"kid": "k1"})
    assert verifier.tenant_of(token) == "tenant_0001"
    unknown_kid = jwt.encode(claims(), signing, "RS256", headers={"kid": "k2"})
    assert "kid" in refused(verifier, unknown_kid)


def test_audience_issuer_and_tenant_claim_are_checked_when_configured(tmp_path, monkeypatch):
    secret = "s" * 40
    monkeypatch.setenv("ANALYTICS_JWT_SECRET", secret)
    monkeypatch.setenv("ANALYTICS_JWT_AUDIENCE", "routing-analytics")
    monkeypatch.setenv("ANALYTICS_JWT_ISSUER", "https://id.example")
    monkeypatch.setenv("ANALYTICS_JWT_TENANT_CLAIM", "org")
    verifier = verifier_from_environment(tmp_path / "state")
    good = {"aud": "routing-analytics", "iss": "https://id.example", "org": "acme"}
    assert verifier.tenant_of(jwt.encode(claims(**good), secret, "HS256")) == "acme"
    for wrong in ({"aud": "another-api"}, {"iss": "https://evil.example"}, {"org": None}):
        token = jwt.encode(claims(**(good | wrong)), secret, "HS256")
        assert refused(verifier, token)
    without_audience = {name: value for name, value in good.items() if name != "aud"}
    assert refused(verifier, jwt.encode(claims(**without_audience), secret, "HS256"))


def test_key_configuration_mistakes_are_usage_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYTICS_JWT_SECRET", "short")
    with pytest.raises(UserError, match="at least 32 bytes"):
        verifier_from_environment(tmp_path)
    monkeypatch.setenv("ANALYTICS_JWT_PUBLIC_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(UserError, match="one key source at a time"):
        verifier_from_environment(tmp_path)
    monkeypatch.delenv("ANALYTICS_JWT_SECRET")
    with pytest.raises(UserError, match="cannot read"):
        verifier_from_environment(tmp_path)
    (tmp_path / "bad.pem").write_text("not a key")
    monkeypatch.setenv("ANALYTICS_JWT_PUBLIC_KEY_FILE", str(tmp_path / "bad.pem"))
    with pytest.raises(UserError, match="not a PEM public key"):
        verifier_from_environment(tmp_path)
