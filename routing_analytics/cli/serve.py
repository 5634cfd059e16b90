"""`serve` and `token`: the analytics API and dashboard, and development tokens for it."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

import uvicorn

from routing_analytics.api import DEFAULT_HOST, DEFAULT_PORT
from routing_analytics.api.app import create_app
from routing_analytics.api.auth import development_token_for, verifier_from_environment
from routing_analytics.api.database import api_database_url, pool_size
from routing_analytics.api.ingest import ingestion_from_environment
from routing_analytics.api.ingest_keys import add_key, keys_file
from routing_analytics.cli.arguments import Commands, port, positive
from routing_analytics.platform.config import Settings, mask_password


def register(commands: Commands) -> None:
    serve = commands.add_parser(
        "serve", help="serve the analytics API (/v1, /docs) and the ROI dashboard (/)"
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help="address (default %(default)s)")
    serve.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help="TCP port (default %(default)s)"
    )
    serve.set_defaults(handler=_serve)
    token = commands.add_parser(
        "token",
        help="mint a development token for one tenant, signed with the local secret (or"
        " ANALYTICS_JWT_SECRET): for the demo and tests, not for customers",
    )
    token.add_argument("--tenant", required=True, help="the tenant id (required)")
    token.add_argument(
        "--days", type=positive, default=1, help="valid for this many days (default %(default)s)"
    )
    token.set_defaults(handler=_token)
    ingest_key = commands.add_parser(
        "ingest-key",
        help="make a key for POST /v1/ingest: its hash is added to the ingest keys file"
        " (ANALYTICS_INGEST_KEYS_FILE, default in the state folder), the key printed once",
    )
    ingest_key.add_argument(
        "--name", required=True, help="whose key it is, kept in each load's lineage (required)"
    )
    ingest_key.set_defaults(handler=_ingest_key)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    verifier = verifier_from_environment(settings.state_dir)
    url = api_database_url(settings)
    ingestion = ingestion_from_environment(settings)
    app = create_app(verifier, url, pool_size(), ingestion)
    print(
        f"serve: http://{args.host}:{args.port}/ (API /v1, docs /docs) on {mask_password(url)};"
        f" tokens verified with the {verifier.source}; ingest keys in {ingestion.keys.path}",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
    print(development_token_for(settings.state_dir, args.tenant, timedelta(days=args.days)))
    if sys.stdout.isatty():
        print(f"(for tenant {args.tenant}, {args.days} day(s); send as Authorization: Bearer)")
    return 0


def _ingest_key(args: argparse.Namespace, settings: Settings) -> int:
    path = keys_file(settings.state_dir)
    print(add_key(path, args.name))
    if sys.stdout.isatty():
        print(f"(key {args.name!r}, shown once; its hash is in {path}; delete the line to revoke)")
    return 0
