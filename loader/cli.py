"""`routing-analytics`: the one command line for people, cron and CI.

Exit codes: 0 success, 2 bad usage or input, 75 database unavailable (retry later), 1 other
failures. Failures print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from loader import embedded
from loader.config import (
    RETENTION_AGGREGATE_DAYS,
    RETENTION_DETAIL_DAYS,
    RETENTION_QUARANTINE_DAYS,
    Settings,
    load_settings,
)
from loader.errors import LoaderError, UserError

SQL_PATHS = ("models", "tests", "analyses", "snapshots")

Handler = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
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
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

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

    generate = commands.add_parser("generate", help="write a realistic sample data set")
    generate.add_argument("--out", type=Path, default=Path("data/sample"), help="output folder")
    generate.add_argument("--tenants", type=_positive, default=20)
    generate.add_argument("--days", type=_positive, default=30)
    generate.add_argument("--executions", type=_positive, default=300_000)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="last day of the window, YYYY-MM-DD (default: today, UTC)",
    )
    generate.add_argument(
        "--faults",
        action="store_true",
        help="inject malformed lines, duplicates, bad values, late records",
    )
    generate.add_argument("--gzip", action="store_true", help="write .jsonl.gz files")
    generate.set_defaults(handler=_generate)

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

    build = commands.add_parser("build", help="run dbt build (seeds, models, tests)")
    build.add_argument("--full-refresh", action="store_true")
    build.add_argument(
        "dbt_args",
        nargs=argparse.REMAINDER,
        help="more dbt arguments after --, e.g. -- --select staging",
    )
    build.set_defaults(handler=_build)

    lint = commands.add_parser("lint", help="sqlfluff lint the SQL (needs the database)")
    lint.add_argument("paths", nargs="*", default=list(SQL_PATHS), metavar="PATH")
    lint.set_defaults(handler=_lint)

    summary = commands.add_parser("summary", help="rows landed, staged and rejected per stream")
    summary.set_defaults(handler=_summary)

    throwaway = commands.add_parser(
        "throwaway-db", help="run a command against a PostgreSQL that is removed afterwards"
    )
    throwaway.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    throwaway.set_defaults(handler=_throwaway)

    _add_warehouse_commands(commands)

    demo = commands.add_parser("demo", help="start, generate, load, build and summarise")
    demo.add_argument("--tenants", type=_positive, default=20)
    demo.add_argument("--days", type=_positive, default=30)
    demo.add_argument("--executions", type=_positive, default=300_000)
    demo.set_defaults(handler=_demo)
    return parser


def _add_warehouse_commands(commands: argparse._SubParsersAction) -> None:
    """roi, check, run, forget-tenant, retention: questions to and duties of the warehouse."""
    roi = commands.add_parser("roi", help="the ROI calculator for one tenant and period")
    roi.add_argument("--tenant", required=True)
    roi.add_argument("--days", type=_positive, default=30)
    roi.add_argument(
        "--as-of",
        type=_timestamp,
        default=None,
        help="end of the period, ISO 8601 with offset (default: now)",
    )
    roi.add_argument("--json", action="store_true", help="one JSON object instead of text")
    roi.set_defaults(handler=_roi)

    check = commands.add_parser(
        "check", help="data-quality gates, expectations and monitoring; exit 1 on an alert"
    )
    check.add_argument(
        "--data-docs", type=Path, default=None, metavar="DIR", help="write HTML Data Docs there"
    )
    check.set_defaults(handler=_check)

    run = commands.add_parser(
        "run", help="the scheduled job: load the inbox, build, check, refresh (one at a time)"
    )
    run.add_argument("inbox", type=Path, help="folder of new files to load")
    run.add_argument("--wait", action="store_true", help="wait for a run in progress")
    run.set_defaults(handler=_run)

    forget = commands.add_parser(
        "forget-tenant", help="delete every row of one tenant from every table (GDPR)"
    )
    forget.add_argument("tenant")
    forget.set_defaults(handler=_forget_tenant)

    retention = commands.add_parser(
        "retention",
        help="delete old task-level detail, aggregates and quarantined lines (one transaction)",
    )
    retention.add_argument(
        "--detail-days",
        type=_positive,
        default=RETENTION_DETAIL_DAYS,
        help="keep task executions, routing decisions and usage events this many UTC days"
        " (default %(default)s)",
    )
    retention.add_argument(
        "--aggregate-days",
        type=_positive,
        default=RETENTION_AGGREGATE_DAYS,
        help="keep aggregate rows this many UTC days (default %(default)s)",
    )
    retention.add_argument(
        "--quarantine-days",
        type=_whole,
        default=RETENTION_QUARANTINE_DAYS,
        help="keep quarantined lines this many days (default %(default)s)",
    )
    retention.add_argument(
        "--as-of",
        type=_timestamp,
        default=None,
        help="measure the horizons from this moment, ISO 8601 with offset (default: now)",
    )
    retention.add_argument("--wait", action="store_true", help="wait for a run in progress")
    retention.set_defaults(handler=_retention)
    _add_loads_commands(commands)


def _add_loads_commands(commands: argparse._SubParsersAction) -> None:
    """loads list|withdraw|restore: the operator's word on a bad batch."""
    loads = commands.add_parser(
        "loads", help="list the loads; withdraw a bad one, or restore it"
    ).add_subparsers(required=True, metavar="ACTION")
    listing = loads.add_parser("list", help="the newest loads with their state")
    listing.add_argument(
        "--limit", type=_positive, default=50, help="how many loads (default %(default)s)"
    )
    listing.set_defaults(handler=_loads_list)
    withdraw = loads.add_parser(
        "withdraw",
        help="staging ignores the load's rows from the next build (they stay in raw); audited",
    )
    withdraw.add_argument("load_id", type=_positive, metavar="LOAD_ID")
    withdraw.add_argument("--reason", required=True, help="why (kept with the load)")
    withdraw.set_defaults(handler=_loads_act, action="withdraw")
    restore = loads.add_parser("restore", help="undo a withdrawal; the gates judge it again")
    restore.add_argument("load_id", type=_positive, metavar="LOAD_ID")
    restore.add_argument(
        "--reason", default="restored by the operator", help="why (default: %(default)s)"
    )
    restore.set_defaults(handler=_loads_act, action="restore")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _whole(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(text)


def _timestamp(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 timestamp: {text!r}") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset (e.g. Z): {text!r}")
    return parsed


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


def _generate(args: argparse.Namespace, _: Settings) -> int:
    from loader.commands import generate_sample  # noqa: PLC0415 - keep startup light

    return generate_sample(args)


def _load(args: argparse.Namespace, settings: Settings) -> int:
    from loader.commands import load_paths  # noqa: PLC0415

    return load_paths(settings, args.paths, args.stream, as_json=args.json)


def _build(args: argparse.Namespace, settings: Settings) -> int:
    from loader.gates import gated_build  # noqa: PLC0415

    extra = _after_double_dash(args.dbt_args)
    return gated_build(
        settings, ["build", *(["--full-refresh"] if args.full_refresh else []), *extra]
    )


def _lint(args: argparse.Namespace, settings: Settings) -> int:
    from loader.dbt import run_sqlfluff  # noqa: PLC0415

    return run_sqlfluff(settings, ["lint", *args.paths])


def _summary(_: argparse.Namespace, settings: Settings) -> int:
    from loader.summary import print_summary  # noqa: PLC0415

    return print_summary(settings)


def _throwaway(args: argparse.Namespace, settings: Settings) -> int:
    from loader.throwaway import run_with_throwaway  # noqa: PLC0415

    return run_with_throwaway(settings, _after_double_dash(args.command))


def _after_double_dash(arguments: list[str]) -> list[str]:
    """argparse.REMAINDER keeps the `--` that separates our options from the passed-on ones."""
    return arguments[1:] if arguments[:1] == ["--"] else arguments


def _roi(args: argparse.Namespace, settings: Settings) -> int:
    from loader.roi import print_roi  # noqa: PLC0415

    return print_roi(settings, args.tenant, args.days, args.as_of, args.json)


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from loader.check import print_check  # noqa: PLC0415

    return print_check(settings, args.data_docs)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from loader.scheduled import scheduled_run  # noqa: PLC0415

    return scheduled_run(settings, args.inbox, wait=args.wait)


def _forget_tenant(args: argparse.Namespace, settings: Settings) -> int:
    from loader.gdpr import print_forget_tenant  # noqa: PLC0415

    return print_forget_tenant(settings, args.tenant)


def _retention(args: argparse.Namespace, settings: Settings) -> int:
    from loader.retention import RetentionPolicy, print_retention  # noqa: PLC0415

    policy = RetentionPolicy(args.detail_days, args.aggregate_days, args.quarantine_days)
    return print_retention(settings, policy, as_of=args.as_of, wait=args.wait)


def _loads_list(args: argparse.Namespace, settings: Settings) -> int:
    from loader.loads import print_loads  # noqa: PLC0415

    return print_loads(settings, limit=args.limit)


def _loads_act(args: argparse.Namespace, settings: Settings) -> int:
    from loader.loads import print_action  # noqa: PLC0415

    return print_action(settings, args.load_id, args.action, args.reason)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from loader.commands import run_demo  # noqa: PLC0415

    return run_demo(settings, tenants=args.tenants, days=args.days, executions=args.executions)
