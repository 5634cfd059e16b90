"""`roi`, `docs` and `create-login`: what an analyst needs besides SQL."""

from __future__ import annotations

import argparse

from routing_analytics.cli.arguments import Commands, port, positive, timestamp
from routing_analytics.operations.docs import build_docs, serve
from routing_analytics.operations.logins import create_login
from routing_analytics.operations.roi import print_roi
from routing_analytics.platform.config import Settings


def register(commands: Commands) -> None:
    roi = commands.add_parser("roi", help="the ROI calculator for one tenant and period")
    roi.add_argument("--tenant", required=True, help="the tenant id (required)")
    roi.add_argument(
        "--days", type=positive, default=30, help="whole UTC days (default %(default)s)"
    )
    roi.add_argument(
        "--as-of",
        type=timestamp,
        default=None,
        help="the period is the last DAYS whole UTC days as of this moment: ISO 8601 with"
        " offset, or a date (its midnight UTC, so the day before is the last one);"
        " default: now (today included)",
    )
    roi.add_argument("--json", action="store_true", help="one JSON object instead of text")
    roi.set_defaults(handler=_roi)

    docs = commands.add_parser(
        "docs",
        help="generate the dbt docs and the Great Expectations Data Docs (work offline) and"
        " serve them on 127.0.0.1",
    )
    docs.add_argument(
        "--port", type=port, default=8080, help="port on 127.0.0.1 (default %(default)s)"
    )
    docs.add_argument(
        "--no-serve", action="store_true", help="only generate them; print where they are"
    )
    docs.set_defaults(handler=_docs)
    login = commands.add_parser(
        "create-login",
        help="create a database login for an analyst (all tenants) or a reader service"
        " (one tenant per transaction); prints its generated password once",
    )
    login.add_argument("name", metavar="NAME", help="the login's name (lowercase, digits, _)")
    login.add_argument(
        "--role",
        choices=("analyst", "reader"),
        default="analyst",
        help="analyst: every tenant's published rows; reader: row-level security by"
        " app.tenant_id (default %(default)s)",
    )
    login.set_defaults(handler=_create_login)


def _roi(args: argparse.Namespace, settings: Settings) -> int:
    return print_roi(settings, args.tenant, args.days, args.as_of, args.json)


def _docs(args: argparse.Namespace, settings: Settings) -> int:
    root = build_docs(settings)
    print(f"docs written to {root} (dbt/, data-docs/)")
    if not args.no_serve:
        serve(root, args.port)
    return 0


def _create_login(args: argparse.Namespace, settings: Settings) -> int:
    password = create_login(settings, args.name, args.role)
    print(f"login {args.name} ({args.role}); password (shown once): {password}")
    return 0
