"""Fixtures: one throwaway PostgreSQL server per test session, one fresh database per test.

With ANALYTICS_DATABASE_URL set (as `make test` does), that server hosts the test databases;
otherwise a throwaway embedded server is started for the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from loader.config import DATABASE_URL_VAR, Settings, load_settings
from loader.privacy import Pseudonymiser
from loader.throwaway import throwaway_database, throwaway_server


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
