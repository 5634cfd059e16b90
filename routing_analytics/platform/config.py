"""Settings read from the environment. The password never appears in `repr` or output."""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

from routing_analytics.platform.errors import UserError

DEFAULT_PORT = 54329
# Retention defaults (design document section 3; `routing-analytics retention` options).
RETENTION_DETAIL_DAYS = 90
RETENTION_AGGREGATE_DAYS = 730
RETENTION_QUARANTINE_DAYS = 14
DATABASE_URL_VAR = "ANALYTICS_DATABASE_URL"
PORT_VAR = "ANALYTICS_DB_PORT"
EMBEDDED_DATABASE = "analytics"
EMBEDDED_USER = "postgres"
EMBEDDED_PASSWORD_FILE = "embedded-db.password"


def project_dir() -> Path:
    """The repository root: where dbt_project.yml lives."""
    override = os.environ.get("ANALYTICS_PROJECT_DIR")
    if override:
        return Path(override).resolve()
    package_parent = Path(__file__).resolve().parents[2]
    if (package_parent / "dbt_project.yml").exists():
        return package_parent
    return Path.cwd()


@dataclass(frozen=True)
class Settings:
    database_url: str = field(repr=False)
    embedded: bool
    port: int
    project_dir: Path
    state_dir: Path
    pgdata: Path

    @property
    def display_url(self) -> str:
        """The URL with any password masked, safe to print and log."""
        return mask_password(self.database_url)


def load_settings() -> Settings:
    root = project_dir()
    state_dir = Path(os.environ.get("ANALYTICS_STATE_DIR", root / ".routing-analytics"))
    port = _port_from_env()
    external_url = os.environ.get(DATABASE_URL_VAR, "").strip()
    if external_url:
        validate_url(external_url)
        return Settings(
            database_url=external_url,
            embedded=False,
            port=urlsplit(external_url).port or 5432,
            project_dir=root,
            state_dir=state_dir,
            pgdata=root / ".pgdata",
        )
    password = quote(embedded_password(state_dir), safe="")
    return Settings(
        database_url=(
            f"postgresql://{EMBEDDED_USER}:{password}@127.0.0.1:{port}/{EMBEDDED_DATABASE}"
        ),
        embedded=True,
        port=port,
        project_dir=root,
        state_dir=state_dir,
        pgdata=root / ".pgdata",
    )


def embedded_password(state_dir: Path) -> str:
    """The embedded server's superuser password: generated on first use, kept beside the
    pseudonymisation key, readable by its owner only (the server never trusts a local user)."""
    path = state_dir / EMBEDDED_PASSWORD_FILE
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(24) + "\n")
    return path.read_text().strip()


def _port_from_env() -> int:
    raw = os.environ.get(PORT_VAR, str(DEFAULT_PORT))
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise UserError(f"{PORT_VAR}={raw!r} is not a TCP port (1-65535)")
    return int(raw)


def validate_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise UserError(
            f"{DATABASE_URL_VAR} must be a postgresql:// URL, got scheme {parts.scheme!r}"
        )
    if not parts.path.strip("/"):
        raise UserError(f"{DATABASE_URL_VAR} must name a database (postgresql://host/dbname)")
    try:
        _ = parts.port
    except ValueError as error:
        raise UserError(f"{DATABASE_URL_VAR} has a bad port: {error}") from None


def mask_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The variables profiles.yml reads, derived from the one connection setting."""
    parts = urlsplit(settings.database_url)
    return {
        "ANALYTICS_DB_HOST": parts.hostname or "127.0.0.1",
        "ANALYTICS_DB_PORT": str(parts.port or 5432),
        "ANALYTICS_DB_USER": unquote(parts.username or EMBEDDED_USER),
        "ANALYTICS_DB_PASSWORD": unquote(parts.password or ""),
        "ANALYTICS_DB_NAME": unquote(parts.path.lstrip("/")),
        "ANALYTICS_DB_SSLMODE": parse_qs(parts.query).get("sslmode", ["prefer"])[-1],
        # dbt snapshots stamp versions with now()::timestamp: read in UTC, whatever the server.
        "PGTZ": "UTC",
    }
