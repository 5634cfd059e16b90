"""`build`, `env`, `dbt -- ARGS` and `lint`: dbt and sqlfluff with this project's connection."""

from __future__ import annotations

import argparse
import shlex

from routing_analytics.cli.arguments import Commands, after_double_dash
from routing_analytics.platform import db
from routing_analytics.platform.config import Settings, dbt_environment
from routing_analytics.platform.errors import UserError
from routing_analytics.platform.locks import run_lock
from routing_analytics.warehouse.dbt import dbt_env, ensure_database, run_dbt, run_sqlfluff
from routing_analytics.warehouse.gates import gated_build
from routing_analytics.warehouse.publish import discard_standby

SQL_PATHS = ("models", "tests", "analyses", "snapshots")
# dbt commands that may change the live marts: the scheduled run's standby goes with them.
WRITING_DBT_COMMANDS = frozenset({"build", "run", "seed", "snapshot", "retry", "clone"})


def register(commands: Commands) -> None:
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
    lint = commands.add_parser("lint", help="sqlfluff lint the SQL (needs the database)")
    lint.add_argument(
        "paths",
        nargs="*",
        default=list(SQL_PATHS),
        metavar="PATH",
        help=f"files or folders (default: {' '.join(SQL_PATHS)})",
    )
    lint.set_defaults(handler=_lint)


def _build(args: argparse.Namespace, settings: Settings) -> int:
    extra = after_double_dash(args.dbt_args)
    return gated_build(
        settings, ["build", *(["--full-refresh"] if args.full_refresh else []), *extra]
    )


def _env(_: argparse.Namespace, settings: Settings) -> int:
    ensure_database(settings)
    environment = dbt_env(settings)
    for name in (*dbt_environment(settings), "DBT_PROFILES_DIR"):
        print(f"export {name}={shlex.quote(environment[name])}")
    return 0


def _dbt(args: argparse.Namespace, settings: Settings) -> int:
    passed = after_double_dash(args.dbt_args)
    if not passed:
        raise UserError("give the dbt arguments after --, e.g. routing-analytics dbt -- ls")
    if passed[0] not in WRITING_DBT_COMMANDS:
        return run_dbt(settings, passed)
    # A writing dbt command waits for a scheduled run to finish, like `build`: the run's
    # standby must not go while the run builds or publishes it.
    ensure_database(settings)
    with run_lock(settings, wait=True):
        with db.connect(settings) as conn:
            discard_standby(conn)
        return run_dbt(settings, passed)


def _lint(args: argparse.Namespace, settings: Settings) -> int:
    return run_sqlfluff(settings, ["lint", *args.paths])
