"""Argument types and options that several commands share."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeAlias

from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import UserError

Handler = Callable[[argparse.Namespace, Settings], int]
# What register() of each command group gets: argparse's subparsers of the main parser.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535; 0 picks a free one)")
    return int(text)


def whole(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(text)


def timestamp(text: str) -> datetime:
    """An ISO 8601 timestamp with its offset, or a date YYYY-MM-DD meaning its midnight UTC."""
    try:
        if len(text) == len("YYYY-MM-DD"):
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 timestamp or date: {text!r}") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset (e.g. Z): {text!r}")
    return parsed


def after_double_dash(arguments: list[str]) -> list[str]:
    """argparse.REMAINDER keeps the `--` that separates our options from the passed-on ones."""
    return arguments[1:] if arguments[:1] == ["--"] else arguments


def add_destructive_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--wait", action="store_true", help="wait for a run in progress")
    command.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be removed, per table, and change nothing",
    )
    command.add_argument(
        "--yes",
        action="store_true",
        help="confirm the deletion (required on a terminal; cron and scripts need not)",
    )


def confirmed(args: argparse.Namespace, what: str) -> None:
    """On a terminal a person confirms with --yes; a dry run changes nothing."""
    if sys.stdin.isatty() and not args.yes and not args.dry_run:
        raise UserError(
            f"this deletes {what} for good: run it again with --yes (or --dry-run to see"
            " what would be removed)"
        )
