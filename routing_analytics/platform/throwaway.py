"""A PostgreSQL that lives for one command: `routing-analytics throwaway-db -- CMD ...`.

Without ANALYTICS_DATABASE_URL it is a fresh embedded server in a temporary folder on a free
port; with it, a fresh database on that server. Either way it is gone afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from routing_analytics.platform import embedded
from routing_analytics.platform.config import (
    DATABASE_URL_VAR,
    EMBEDDED_DATABASE,
    EMBEDDED_USER,
    Settings,
)
from routing_analytics.platform.errors import UserError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# What keeps data through a crash of the machine: nothing to keep on a server that is removed
# when its command ends. Commits and CREATE DATABASE ... TEMPLATE then skip their fsyncs.
NOT_DURABLE = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@contextmanager
def throwaway_server(settings: Settings, *, durable: bool = True) -> Iterator[str]:
    """Yield the URL of a database nobody else uses; remove it all afterwards. `durable`
    false: an embedded server without fsync (not for measuring what production would do)."""
    if not settings.embedded:
        with throwaway_database(settings.database_url) as url:
            yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="routing-analytics-"))
    port = free_port()
    # A password of its own, as the embedded server has: no local user gets in by trust.
    password = secrets.token_hex(16)
    server = replace(
        settings,
        port=port,
        pgdata=folder / "pgdata",
        database_url=(
            f"postgresql://{EMBEDDED_USER}:{password}@127.0.0.1:{port}/{EMBEDDED_DATABASE}"
        ),
    )
    try:
        # One SCRAM iteration instead of 4,096: key stretching protects guessable passwords,
        # and this one is a random 128-bit token of a server that lives for one command. A
        # connection costs 1.9 ms instead of 5.9 (both ends run the iterations), and dbt
        # opens one per node: about 1 s per build, on every build of the tests.
        embedded.start(
            server, password_iterations=1, server_settings=None if durable else NOT_DURABLE
        )
        yield server.database_url
    finally:
        embedded.stop(server)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def throwaway_database(server_url: str, name: str | None = None) -> Iterator[str]:
    """A new, empty database on the server of `server_url` (named `name`, else a name of
    its own), dropped afterwards."""
    url = create_database(server_url, name=name)
    try:
        yield url
    finally:
        drop_database(server_url, url)


def create_database(server_url: str, template: str | None = None, name: str | None = None) -> str:
    """A new database on the server of `server_url`, empty or a copy of the database of
    the URL `template`, named `name` (else a new unique name); its URL."""
    name = name or f"ra_test_{uuid.uuid4().hex[:12]}"
    create = sql.SQL("create database {}").format(sql.Identifier(name))
    if template is not None:
        source = sql.Identifier(database_name(template))
        create = sql.SQL("{} template {}").format(create, source)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(create)
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    """The name of the database of `url` (made by create_database)."""
    return urlsplit(url).path.lstrip("/")


def drop_database(server_url: str, url: str) -> None:
    """Drop the database of `url` (made by create_database), whoever is still connected."""
    name = database_name(url)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


def run_with_throwaway(settings: Settings, command: list[str]) -> int:
    if not command:
        raise UserError("throwaway-db needs a command to run, e.g. -- pytest")
    with (
        throwaway_server(settings, durable=False) as url,
        tempfile.TemporaryDirectory() as state_dir,
    ):
        env = {**os.environ, DATABASE_URL_VAR: url, "ANALYTICS_STATE_DIR": state_dir}
        return subprocess.run(command, env=env, check=False).returncode
