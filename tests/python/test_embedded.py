"""The embedded PostgreSQL: start, reuse, stop, and a clear message when the port is taken."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from routing_analytics.platform import embedded
from routing_analytics.platform.config import DATABASE_URL_VAR, load_settings
from routing_analytics.platform.errors import UserError
from routing_analytics.platform.throwaway import free_port, throwaway_server

pytestmark = pytest.mark.integration


@pytest.fixture
def own_server(tmp_path):
    port = free_port()
    settings = replace(
        load_settings(),
        embedded=True,
        port=port,
        pgdata=tmp_path / "pgdata",
        database_url=f"postgresql://postgres@127.0.0.1:{port}/analytics",
    )
    yield settings
    embedded.stop(settings)


def test_start_reuse_stop(own_server):
    assert embedded.start(own_server) is True
    assert embedded.status(own_server).running
    assert embedded.start(own_server) is False  # a second start reuses the running server
    with psycopg.connect(own_server.database_url) as conn:
        assert conn.execute("select current_database()").fetchone() == ("analytics",)
    assert embedded.stop(own_server) is True
    assert not embedded.status(own_server).running
    assert embedded.stop(own_server) is False


def test_port_taken_by_another_program_is_refused_clearly(own_server):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", own_server.port))
        squatter.listen()
        with pytest.raises(
            UserError,
            match=rf"port {own_server.port} .* taken by another "
            r"program; set ANALYTICS_DB_PORT",
        ):
            embedded.start(own_server)
    assert not embedded.status(own_server).running


def test_the_server_asks_every_connection_for_its_password(own_server):
    """It once trusted every local connection as superuser: any OS user could read the
    quarantine. A cluster made by that version is secured at its next start."""
    trusting = own_server
    assert embedded.start(trusting) is True  # no password in the URL: as an older version made it
    with psycopg.connect(trusting.database_url) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    embedded.stop(trusting)
    secured = replace(
        own_server,
        database_url=own_server.database_url.replace("postgres@", "postgres:s3cr%2Ft@", 1),
    )
    assert embedded.start(secured) is True
    with psycopg.connect(secured.database_url) as conn:
        assert conn.execute("select current_user").fetchone() == ("postgres",)
    for url in (own_server.database_url, own_server.database_url.replace("@", ":wrong@", 1)):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(url).close()
    assert "trust" not in [
        line.split()[-1]
        for line in (own_server.pgdata / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_the_embedded_password_is_generated_once_and_owner_only(tmp_path):
    import stat  # noqa: PLC0415

    from routing_analytics.platform.config import EMBEDDED_PASSWORD_FILE, embedded_password  # noqa: PLC0415

    first = embedded_password(tmp_path)
    assert len(first) >= 24 and embedded_password(tmp_path) == first
    mode = stat.S_IMODE((tmp_path / EMBEDDED_PASSWORD_FILE).stat().st_mode)
    assert mode == 0o600


def test_a_throwaway_server_asks_for_a_password_too(tmp_path):
    settings = replace(load_settings(), embedded=True, state_dir=tmp_path / "state")
    with throwaway_server(settings) as url:
        parts = urlsplit(url)
        assert parts.password
        with psycopg.connect(url) as conn:
            # A SCRAM verifier of one iteration (the password is a random token: cheap
            # connections, no weaker check).
            verifier = "select rolpassword from pg_authid where rolname = current_user"
            assert conn.execute(verifier).fetchone()[0].startswith("SCRAM-SHA-256$1:")
        without = urlunsplit(parts._replace(netloc=f"postgres@{parts.hostname}:{parts.port}"))
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(without).close()
        wrong = urlunsplit(
            parts._replace(netloc=f"postgres:{'0' * 32}@{parts.hostname}:{parts.port}")
        )
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(wrong).close()


def test_the_throwaway_db_server_skips_fsync_and_a_measured_one_does_not(tmp_path):
    """`throwaway-db` (the tests' server) is removed with its command: nothing to keep through
    a crash. The benchmarks' servers keep PostgreSQL's durable defaults."""
    settings = replace(load_settings(), embedded=True, state_dir=tmp_path / "state")
    shown = "select current_setting('fsync'), current_setting('synchronous_commit')"
    for durable, expected in ((False, ("off", "off")), (True, ("on", "on"))):
        with throwaway_server(settings, durable=durable) as url, psycopg.connect(url) as conn:
            assert conn.execute(shown).fetchone() == expected
    show_fsync = (
        "import os, psycopg;"
        f" print(psycopg.connect(os.environ['{DATABASE_URL_VAR}']).execute({shown!r}).fetchone())"
    )
    printed = subprocess.run(
        [sys.executable, "-m", "routing_analytics", "throwaway-db", "--",
         sys.executable, "-c", show_fsync],
        env={name: value for name, value in os.environ.items() if name != DATABASE_URL_VAR},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == "('off', 'off')"
