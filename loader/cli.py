"""`routing-analytics`: the one command line for people, cron and CI.

Exit codes: 0 success, 2 bad usage or input, 75 database unavailable (retry later), 1 other
failures. Failures print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

from loader import embedded
from loader.config import (
    RETENTION_AGGREGATE_DAYS,
    RETENTION_DETAIL_DAYS,
    RETENTION_QUARANTINE_DAYS,
    Settings,
    dbt_environment,
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
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
    generate.add_argument(
        "--out", type=Path, default=Path("data/sample"), help="output folder (default %(default)s)"
    )
    generate.add_argument(
        "--tenants", type=_positive, default=20, help="tenants (default %(default)s)"
    )
    generate.add_argument(
        "--days", type=_positive, default=30, help="UTC days in the window (default %(default)s)"
    )
    generate.add_argument(
        "--executions",
        type=_positive,
        default=300_000,
        help="task executions in the window (default %(default)s)",
    )
    generate.add_argument(
        "--seed", type=int, default=42, help="the same seed writes the same files (default 42)"
    )
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
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental models from scratch (sealed aggregate periods are kept)",
    )
    build.add_argument(
        "dbt_args",
        nargs=argparse.REMAINDER,
        help="more dbt arguments after --, e.g. -- --select staging",
    )
    build.set_defaults(handler=_build)

    env = commands.add_parser(
        "env",
        help='print the variables dbt needs, for `eval "$(routing-analytics env)"`; then'
        " dbt ls, dbt test --select ... work from the project root",
    )
    env.set_defaults(handler=_env)
    dbt = commands.add_parser(
        "dbt", help="run dbt with this project's connection: routing-analytics dbt -- ARGS..."
    )
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="-- ARGS passed on to dbt")
    dbt.set_defaults(handler=_dbt)
    _add_analyst_commands(commands)

    lint = commands.add_parser("lint", help="sqlfluff lint the SQL (needs the database)")
    lint.add_argument(
        "paths",
        nargs="*",
        default=list(SQL_PATHS),
        metavar="PATH",
        help=f"files or folders (default: {' '.join(SQL_PATHS)})",
    )
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
    demo.add_argument("--tenants", type=_positive, default=20, help="tenants (default %(default)s)")
    demo.add_argument(
        "--days",
        type=_positive,
        default=60,
        help="UTC days of history up to now (default %(default)s: the 30-day trends need 60)",
    )
    demo.add_argument(
        "--executions",
        type=_positive,
        default=300_000,
        help="task executions (default %(default)s)",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder of the sample, generated once and then reused (default: data/demo)",
    )
    demo.set_defaults(handler=_demo)
    return parser


def _add_warehouse_commands(commands: argparse._SubParsersAction) -> None:
    """roi, check, run, forget-tenant, retention: questions to and duties of the warehouse."""
    roi = commands.add_parser("roi", help="the ROI calculator for one tenant and period")
    roi.add_argument("--tenant", required=True, help="the tenant id (required)")
    roi.add_argument(
        "--days", type=_positive, default=30, help="whole UTC days (default %(default)s)"
    )
    roi.add_argument(
        "--as-of",
        type=_timestamp,
        default=None,
        help="the period is the last DAYS whole UTC days as of this moment: ISO 8601 with"
        " offset, or a date (its midnight UTC, so the day before is the last one);"
        " default: now (today included)",
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
    forget.add_argument("tenant", help="the tenant id, exactly as stored")
    _add_destructive_options(forget)
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
    _add_destructive_options(retention)
    retention.set_defaults(handler=_retention)
    _add_loads_commands(commands)


def _add_analyst_commands(commands: argparse._SubParsersAction) -> None:
    """docs and create-login: what an analyst needs besides SQL."""
    docs = commands.add_parser(
        "docs",
        help="generate the dbt docs and the Great Expectations Data Docs (work offline) and"
        " serve them on 127.0.0.1",
    )
    docs.add_argument(
        "--port", type=_port, default=8080, help="port on 127.0.0.1 (default %(default)s)"
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


def _add_destructive_options(command: argparse.ArgumentParser) -> None:
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


def _confirmed(args: argparse.Namespace, what: str) -> None:
    """On a terminal a person confirms with --yes; a dry run changes nothing."""
    if sys.stdin.isatty() and not args.yes and not args.dry_run:
        raise UserError(
            f"this deletes {what} for good: run it again with --yes (or --dry-run to see"
            " what would be removed)"
        )


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
    withdraw.add_argument(
        "load_id", type=_positive, metavar="LOAD_ID", help="the load (see `loads list`)"
    )
    withdraw.add_argument("--reason", required=True, help="why (kept with the load)")
    withdraw.set_defaults(handler=_loads_act, action="withdraw")
    restore = loads.add_parser("restore", help="undo a withdrawal; the gates judge it again")
    restore.add_argument(
        "load_id", type=_positive, metavar="LOAD_ID", help="the load (see `loads list`)"
    )
    restore.add_argument(
        "--reason", default="restored by the operator", help="why (default: %(default)s)"
    )
    restore.set_defaults(handler=_loads_act, action="restore")


def _version() -> str:
    try:
        return metadata.version("routing-analytics")
    except metadata.PackageNotFoundError:  # run from a checkout without `make install`
        return "unknown"


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535; 0 picks a free one)")
    return int(text)


def _whole(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(text)


def _timestamp(text: str) -> datetime:
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


def _env(_: argparse.Namespace, settings: Settings) -> int:
    from loader.dbt import dbt_env, ensure_database  # noqa: PLC0415

    ensure_database(settings)
    environment = dbt_env(settings)
    for name in (*dbt_environment(settings), "DBT_PROFILES_DIR"):
        print(f"export {name}={shlex.quote(environment[name])}")
    return 0


def _dbt(args: argparse.Namespace, settings: Settings) -> int:
    from loader.dbt import run_dbt  # noqa: PLC0415

    passed = _after_double_dash(args.dbt_args)
    if not passed:
        raise UserError("give the dbt arguments after --, e.g. routing-analytics dbt -- ls")
    return run_dbt(settings, passed)


def _docs(args: argparse.Namespace, settings: Settings) -> int:
    from loader.docs import build_docs, serve  # noqa: PLC0415

    root = build_docs(settings)
    print(f"docs written to {root} (dbt/, data-docs/)")
    if not args.no_serve:
        serve(root, args.port)
    return 0


def _create_login(args: argparse.Namespace, settings: Settings) -> int:
    from loader.logins import create_login  # noqa: PLC0415

    password = create_login(settings, args.name, args.role)
    print(f"login {args.name} ({args.role}); password (shown once): {password}")
    return 0


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

    _confirmed(args, f"every row of tenant {args.tenant!r}")
    return print_forget_tenant(settings, args.tenant, dry_run=args.dry_run, wait=args.wait)


def _retention(args: argparse.Namespace, settings: Settings) -> int:
    from loader.retention import RetentionPolicy, print_retention  # noqa: PLC0415

    policy = RetentionPolicy(args.detail_days, args.aggregate_days, args.quarantine_days)
    _confirmed(args, "old detail, aggregates and quarantined lines")
    return print_retention(settings, policy, as_of=args.as_of, wait=args.wait, dry_run=args.dry_run)


def _loads_list(args: argparse.Namespace, settings: Settings) -> int:
    from loader.loads import print_loads  # noqa: PLC0415

    return print_loads(settings, limit=args.limit)


def _loads_act(args: argparse.Namespace, settings: Settings) -> int:
    from loader.loads import print_action  # noqa: PLC0415

    return print_action(settings, args.load_id, args.action, args.reason)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from loader.commands import run_demo  # noqa: PLC0415

    return run_demo(
        settings,
        tenants=args.tenants,
        days=args.days,
        executions=args.executions,
        out_dir=args.out or settings.project_dir / "data" / "demo",
    )
