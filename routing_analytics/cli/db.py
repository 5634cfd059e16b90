"""`db start|stop|status|url` and `throwaway-db`: the PostgreSQL the warehouse runs on."""

from __future__ import annotations

import argparse

from routing_analytics.cli.arguments import Commands, after_double_dash
from routing_analytics.platform import embedded
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import UserError
from routing_analytics.platform.throwaway import run_with_throwaway


def register(commands: Commands) -> None:
    db = commands.add_parser("db", help="manage the embedded PostgreSQL").add_subparsers(
        required=True, metavar="ACTION"
    )
    db.add_parser("start", help="start it (creates it on first use)").set_defaults(
        handler=_db_start
    )
    db.add_parser("stop", help="stop it").set_defaults(handler=_db_stop)
    db.add_parser("status", help="say whether it runs, and where").set_defaults(handler=_db_status)
    url = db.add_parser("url", help="print the connection URL (password masked)")
    url.add_argument("--with-password", action="store_true", help="print the password too")
    url.set_defaults(handler=_db_url)

    throwaway = commands.add_parser(
        "throwaway-db", help="run a command against a PostgreSQL that is removed afterwards"
    )
    throwaway.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    throwaway.set_defaults(handler=_throwaway)


def _db_start(_: argparse.Namespace, settings: Settings) -> int:
    _require_embedded(settings, "start")
    started = embedded.start(settings)
    state = "started" if started else "already running"
    print(f"embedded PostgreSQL {state} on 127.0.0.1:{settings.port} (data in {settings.pgdata})")
    print(f"connect: psql {settings.display_url}")
    return 0


def _db_stop(_: argparse.Namespace, settings: Settings) -> int:
    _require_embedded(settings, "stop")
    print("stopped" if embedded.stop(settings) else "not running")
    return 0


def _db_status(_: argparse.Namespace, settings: Settings) -> int:
    if not settings.embedded:
        print(f"using the external server {settings.display_url} (ANALYTICS_DATABASE_URL)")
        return 0
    current = embedded.status(settings)
    if current.running:
        print(f"running: pid {current.pid}, 127.0.0.1:{current.port}, data in {settings.pgdata}")
        return 0
    print(f"stopped (data in {settings.pgdata}); start it with `routing-analytics db start`")
    return 3


def _db_url(args: argparse.Namespace, settings: Settings) -> int:
    print(settings.database_url if args.with_password else settings.display_url)
    return 0


def _require_embedded(settings: Settings, action: str) -> None:
    if not settings.embedded:
        raise UserError(
            f"cannot {action} an external server; ANALYTICS_DATABASE_URL points at "
            f"{settings.display_url}"
        )


def _throwaway(args: argparse.Namespace, settings: Settings) -> int:
    return run_with_throwaway(settings, after_double_dash(args.command))
