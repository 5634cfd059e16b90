"""The embedded PostgreSQL: start, reuse, stop, and a clear message when the port is taken."""

from __future__ import annotations

import socket
from dataclasses import replace

import psycopg
import pytest

from loader import embedded
from loader.config import load_settings
from loader.errors import UserError
from loader.throwaway import free_port

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
