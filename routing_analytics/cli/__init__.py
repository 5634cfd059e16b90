"""`routing-analytics`: the one command line for people, cron and CI.

Each command is registered and handled in the module of its group: db.py (db, throwaway-db),
load.py (load, loads, summary), build.py (build, env, dbt, lint), run.py (run, check,
retention, forget-tenant), analyst.py (roi, docs, create-login), serve.py (serve, token),
tools.py (generate, demo).
Exit codes: 0 success, 2 bad usage or input, 75 database unavailable (retry later), 1 other
failures. Failures print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from routing_analytics.cli import analyst, build, db, load, run, serve, tools
from routing_analytics.cli.arguments import Handler
from routing_analytics.platform.config import load_settings
from routing_analytics.platform.errors import LoaderError


def main(argv: Sequence[str] | None = None) -> int:
    """A command, whose process ends when this returns: on the way out, the objects that
    exist are frozen (gc.freeze), so the interpreter's last garbage collections skip them.
    After Great Expectations (`run`, `check`) those collections walk everything its imports
    left, about 1 s of CPU for memory the kernel takes back anyway; nothing else changes
    (atexit handlers, flushing and the joining of threads run as before)."""
    try:
        return _command(argv)
    finally:
        gc.freeze()


def _command(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        handler: Handler = args.handler
        return handler(args, settings)
    except LoaderError as error:
        print(f"routing-analytics: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("routing-analytics: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): not an error of ours. Silence the final flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="routing-analytics", description="Analytics warehouse of the AI coding-task router."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for group in (db, tools, load, build, run, analyst, serve):
        group.register(commands)
    return parser


def _version() -> str:
    try:
        return metadata.version("routing-analytics")
    except metadata.PackageNotFoundError:  # run from a checkout without `make install`
        return "unknown"
