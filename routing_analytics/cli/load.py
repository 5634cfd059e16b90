"""`load`, `loads list|withdraw|restore` and `summary`: what lands in raw, and what of it."""

from __future__ import annotations

import argparse
from pathlib import Path

from routing_analytics.cli.arguments import Commands, positive
from routing_analytics.operations.load import load_paths
from routing_analytics.operations.loads import print_action, print_loads
from routing_analytics.operations.summary import print_summary
from routing_analytics.platform.config import Settings


def register(commands: Commands) -> None:
    load = commands.add_parser("load", help="land files in schema raw")
    load.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="files, or folders whose files are loaded",
    )
    load.add_argument("--stream", help="stream of every file (default: from the file name)")
    load.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    load.set_defaults(handler=_load)

    loads = commands.add_parser(
        "loads", help="list the loads; withdraw a bad one, or restore it"
    ).add_subparsers(required=True, metavar="ACTION")
    listing = loads.add_parser("list", help="the newest loads with their state")
    listing.add_argument(
        "--limit", type=positive, default=50, help="how many loads (default %(default)s)"
    )
    listing.set_defaults(handler=_loads_list)
    withdraw = loads.add_parser(
        "withdraw",
        help="staging ignores the load's rows from the next build (they stay in raw); audited",
    )
    withdraw.add_argument(
        "load_id", type=positive, metavar="LOAD_ID", help="the load (see `loads list`)"
    )
    withdraw.add_argument("--reason", required=True, help="why (kept with the load)")
    withdraw.set_defaults(handler=_loads_act, action="withdraw")
    restore = loads.add_parser("restore", help="undo a withdrawal; the gates judge it again")
    restore.add_argument(
        "load_id", type=positive, metavar="LOAD_ID", help="the load (see `loads list`)"
    )
    restore.add_argument(
        "--reason", default="restored by the operator", help="why (default: %(default)s)"
    )
    restore.set_defaults(handler=_loads_act, action="restore")
    summary = commands.add_parser("summary", help="rows landed, staged and rejected per stream")
    summary.set_defaults(handler=_summary)


def _load(args: argparse.Namespace, settings: Settings) -> int:
    return load_paths(settings, args.paths, args.stream, as_json=args.json)


def _loads_list(args: argparse.Namespace, settings: Settings) -> int:
    return print_loads(settings, limit=args.limit)


def _loads_act(args: argparse.Namespace, settings: Settings) -> int:
    return print_action(settings, args.load_id, args.action, args.reason)


def _summary(_: argparse.Namespace, settings: Settings) -> int:
    return print_summary(settings)
