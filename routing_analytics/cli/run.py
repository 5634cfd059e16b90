"""`run`, `check`, `retention` and `forget-tenant`: the scheduled job and the duties around it."""

from __future__ import annotations

import argparse
from pathlib import Path

from routing_analytics.cli.arguments import (
    Commands,
    add_destructive_options,
    confirmed,
    positive,
    timestamp,
    whole,
)
from routing_analytics.operations.check import print_check
from routing_analytics.operations.forget_tenant import print_forget_tenant
from routing_analytics.operations.retention import RetentionPolicy, print_retention
from routing_analytics.operations.scheduled_run import scheduled_run
from routing_analytics.platform.config import (
    RETENTION_AGGREGATE_DAYS,
    RETENTION_DETAIL_DAYS,
    RETENTION_QUARANTINE_DAYS,
    Settings,
)


def register(commands: Commands) -> None:
    run = commands.add_parser(
        "run", help="the scheduled job: load the inbox, build, check, publish (one at a time)"
    )
    run.add_argument("inbox", type=Path, help="folder of new files to load")
    run.add_argument("--wait", action="store_true", help="wait for a run in progress")
    run.set_defaults(handler=_run)

    check = commands.add_parser(
        "check", help="data-quality gates, expectations and monitoring; exit 1 on an alert"
    )
    check.add_argument(
        "--data-docs", type=Path, default=None, metavar="DIR", help="write HTML Data Docs there"
    )
    check.set_defaults(handler=_check)

    retention = commands.add_parser(
        "retention",
        help="delete old task-level detail, aggregates and quarantined lines (one transaction)",
    )
    retention.add_argument(
        "--detail-days",
        type=positive,
        default=RETENTION_DETAIL_DAYS,
        help="keep task executions, routing decisions and usage events this many UTC days"
        " (default %(default)s)",
    )
    retention.add_argument(
        "--aggregate-days",
        type=positive,
        default=RETENTION_AGGREGATE_DAYS,
        help="keep aggregate rows this many UTC days (default %(default)s)",
    )
    retention.add_argument(
        "--quarantine-days",
        type=whole,
        default=RETENTION_QUARANTINE_DAYS,
        help="keep quarantined lines this many days (default %(default)s)",
    )
    retention.add_argument(
        "--as-of",
        type=timestamp,
        default=None,
        help="measure the horizons from this moment, ISO 8601 with offset (default: now)",
    )
    add_destructive_options(retention)
    retention.set_defaults(handler=_retention)
    forget = commands.add_parser(
        "forget-tenant", help="delete every row of one tenant from every table (GDPR)"
    )
    forget.add_argument("tenant", help="the tenant id, exactly as stored")
    add_destructive_options(forget)
    forget.set_defaults(handler=_forget_tenant)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    return scheduled_run(settings, args.inbox, wait=args.wait)


def _check(args: argparse.Namespace, settings: Settings) -> int:
    return print_check(settings, args.data_docs)


def _retention(args: argparse.Namespace, settings: Settings) -> int:
    policy = RetentionPolicy(args.detail_days, args.aggregate_days, args.quarantine_days)
    confirmed(args, "old detail, aggregates and quarantined lines")
    return print_retention(settings, policy, as_of=args.as_of, wait=args.wait, dry_run=args.dry_run)


def _forget_tenant(args: argparse.Namespace, settings: Settings) -> int:
    confirmed(args, f"every row of tenant {args.tenant!r}")
    return print_forget_tenant(settings, args.tenant, dry_run=args.dry_run, wait=args.wait)
