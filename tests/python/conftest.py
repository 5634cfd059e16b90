"""Fixtures: one throwaway PostgreSQL server per test session, one fresh database per test.

With ANALYTICS_DATABASE_URL set (as `make test` does), that server hosts the test databases;
otherwise a throwaway embedded server is started for the session.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import psycopg
import pytest

from loader.privacy import Pseudonymiser
from routing_analytics.platform.config import DATABASE_URL_VAR, Settings, load_settings
from routing_analytics.platform.throwaway import throwaway_database, throwaway_server
from routing_analytics.tools.generate import GenerateOptions, GenerateResult, generate


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    settings = load_settings()
    if os.environ.get(DATABASE_URL_VAR):
        yield settings.database_url
        return
    with throwaway_server(settings) as url:
        yield url


@pytest.fixture
def database_url(server_url: str) -> Iterator[str]:
    with throwaway_database(server_url) as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    base = load_settings()
    return replace(base, database_url=database_url, embedded=False, state_dir=tmp_path / "state")


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for running the CLI as a subprocess against the test database."""
    return {
        **os.environ,
        DATABASE_URL_VAR: database_url,
        "ANALYTICS_STATE_DIR": str(tmp_path / "state"),
    }


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(bytes(range(32)))


@dataclass(frozen=True)
class Warehouse:
    url: str
    generated: GenerateResult
    env: dict[str, str]


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "routing_analytics", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@contextmanager
def built_database(
    server_url: str,
    folder: Path,
    options: GenerateOptions,
    before_build: Callable[[str, GenerateResult], None] | None = None,
) -> Iterator[Warehouse]:
    """Generated data loaded into a fresh database and built with dbt build --full-refresh."""
    generated = generate(options)
    with throwaway_database(server_url) as url:
        env = {
            **os.environ,
            "ANALYTICS_DATABASE_URL": url,
            "ANALYTICS_STATE_DIR": str(folder / "state"),
        }
        loaded = cli(env, "load", str(options.out_dir))
        assert loaded.returncode == 0, loaded.stderr
        if before_build is not None:
            before_build(url, generated)
        built = cli(env, "build", "--full-refresh")
        assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]
        yield Warehouse(url=url, generated=generated, env=env)


@pytest.fixture(scope="session")
def warehouse(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Fixture data with faults, loaded and built once per session (dbt build --full-refresh:
    models, data tests, unit tests). Shared: tests read it and must not change it."""
    folder = tmp_path_factory.mktemp("warehouse")
    options = GenerateOptions(
        out_dir=folder / "data",
        tenants=4,
        days=4,
        executions=6_000,
        seed=11,
        end_date=date(2026, 11, 20),
        faults=True,
    )

    def land_one_by_hand(url: str, generated: GenerateResult) -> None:
        land_by_hand(url, generated.files["task_executions"][0])

    with built_database(server_url, folder, options, land_one_by_hand) as built:
        yield built


HAND_LANDED_ID = "0b0b0b0b-0000-4000-8000-000000000001"
HAND_LANDED_BAIT = ("/srv/handmade", "ops@handmade.example", "sk-handmade0123456789abcdef")


def land_by_hand(url: str, task_file: Path) -> None:
    """A valid task written straight into raw, as an older loader or a person might have."""
    with task_file.open("rb") as lines:
        record = json.loads(next(lines))
    record.update(
        id=HAND_LANDED_ID,
        status="failed",
        error_message="crash in /srv/handmade/y.py, key sk-handmade0123456789abcdef",
        metadata={
            "editor": "vim",
            "file_path": "/srv/handmade/x.py",
            "note": "ping ops@handmade.example",
        },
    )
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into raw.task_executions (_load_id, _source_file, _line_number, record)"
            " values (0, 'by-hand', 1, %s)",
            (json.dumps(record),),
        )


def rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def conservative_figures(savings: Decimal, baseline: Decimal) -> tuple[Decimal, Decimal | None]:
    """The shown savings and savings percentage by the documented rule, recomputed in Python
    (exact fractions): floored, never rounded up; a loss shown as a loss (its percentage
    null without a positive baseline); positive savings under 1 % of the baseline as 0."""
    if savings < 0 or (baseline > 0 and 100 * savings >= baseline):
        shown = Decimal(math.floor(Fraction(savings) * 100)).scaleb(-2)
        if baseline <= 0:
            return shown, None
        return shown, Decimal(math.floor(Fraction(100 * savings) / Fraction(baseline)))
    return Decimal(0), Decimal(0)
