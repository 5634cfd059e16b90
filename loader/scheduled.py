"""`routing-analytics run INBOX`: the scheduled job (cron or an orchestrator calls this).

In order: load what is new in the inbox folder; copy the published marts into analytics_next
(the incremental marts continue from there); `dbt build` with the published schemas suffixed
`_next`; the checks (gates, contract, monitoring) against analytics_next; then, in one
transaction, swap analytics_next in for the live schema. A failed build or gate drops the
`_next` schema and leaves the live marts exactly as they were: customers never see a
half-built or unchecked set. A session advisory lock keeps two runs from overlapping: a second
run exits with a clear message (exit 75, try again later) or, with --wait, waits.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

from loader import db
from loader.config import Settings
from loader.dbt import ensure_database, run_dbt
from loader.errors import TerminalError, TransientError, UserError
from loader.gates import print_failures
from loader.loads import mark_published, unpublished_loads
from loader.locks import run_lock

NEXT = "_next"
PUBLISH_LOCK_TIMEOUT = "500ms"
PUBLISH_RETRY_DELAYS_S = (1.0, 2.0, 4.0, 8.0, 15.0)
PUBLISHED_SCHEMA = "analytics"

LIVE_TABLES = """
select class.relname
from pg_catalog.pg_class as class
where class.relnamespace = 'analytics'::regnamespace and class.relkind in ('r', 'p')
order by 1
"""


# Relations dbt leaves behind when it is killed between creating and renaming them.
DBT_LEFTOVERS = r"""
select namespace.nspname, class.relname, class.relkind
from pg_catalog.pg_class as class
inner join pg_catalog.pg_namespace as namespace on namespace.oid = class.relnamespace
where class.relkind in ('r', 'v', 'm', 'p')
  and (class.relname like '%\_\_dbt\_backup' or class.relname like '%\_\_dbt\_tmp%')
  and namespace.nspname not in ('pg_catalog', 'information_schema', 'raw')
"""


def drop_dbt_leftovers(settings: Settings) -> list[str]:
    """What a killed build left (under the run lock: no other dbt is running)."""
    dropped = []
    with db.connect(settings, autocommit=True) as conn:
        for schema, name, kind in conn.execute(DBT_LEFTOVERS).fetchall():
            noun = {"v": "view", "m": "materialized view"}.get(kind, "table")
            conn.execute(
                sql.SQL("drop {} if exists {} cascade").format(
                    sql.SQL(noun), sql.Identifier(schema, name)
                )
            )
            dropped.append(f"{schema}.{name}")
    return dropped


def drop_next(settings: Settings) -> None:
    with db.connect(settings, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop schema if exists {} cascade").format(
                sql.Identifier(PUBLISHED_SCHEMA + NEXT)
            )
        )


def prepare_next(settings: Settings) -> None:
    """analytics_next starts as a copy of the live tables (indexes and constraints included):
    the incremental marts continue from the published state, the others are rebuilt."""
    drop_next(settings)
    with db.connect(settings) as conn, conn.transaction():
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier("analytics" + NEXT)))
        if conn.execute("select to_regnamespace('analytics') is not null").fetchone() != (True,):
            return
        for (table,) in conn.execute(LIVE_TABLES).fetchall():
            live, copy = (
                sql.Identifier("analytics", table),
                sql.Identifier("analytics" + NEXT, table),
            )
            conn.execute(sql.SQL("create table {} (like {} including all)").format(copy, live))
            conn.execute(sql.SQL("insert into {} select * from {}").format(copy, live))


def swap_in_next(settings: Settings, judged_loads: list[int]) -> None:
    """Publish, waiting at most PUBLISH_LOCK_TIMEOUT per attempt for the live marts' locks:
    a renaming waits for every reader's transaction on them, and every dashboard query that
    arrives meanwhile queues behind it. A reader holding a transaction open must not stall
    the dashboards of every tenant, so the swap gives way and tries again; exit 75 when the
    lock never came (analytics_next is dropped, the live marts are unchanged)."""

    def attempt() -> None:
        try:
            _swap(settings, judged_loads)
        except TransientError as error:
            if not isinstance(error.__cause__, psycopg.errors.LockNotAvailable):
                raise
            raise TransientError(
                "publishing waited over"
                f" {PUBLISH_LOCK_TIMEOUT} for a lock on the live marts (a reader's open"
                " transaction)"
            ) from error

    try:
        db.with_retries(attempt, on_retry=_publish_retry, delays=PUBLISH_RETRY_DELAYS_S)
    except TransientError:
        drop_next(settings)
        raise


def _publish_retry(message: str) -> None:
    print(f"routing-analytics: warning: {message}", file=sys.stderr, flush=True)


def _swap(settings: Settings, judged_loads: list[int]) -> None:
    """One transaction: the checked schemas replace the live ones (dashboards that query by
    name see the old set or the new one, never a mix), and the loads the build's gates
    judged are recorded as published (the next run's gates judge only what it adds)."""
    with db.connect(settings) as conn, conn.transaction():
        conn.execute(f"set local lock_timeout = '{PUBLISH_LOCK_TIMEOUT}'")
        mark_published(conn, judged_loads, "run")
        live, old, new = (
            sql.Identifier(PUBLISHED_SCHEMA),
            sql.Identifier(PUBLISHED_SCHEMA + "_previous"),
            sql.Identifier(PUBLISHED_SCHEMA + NEXT),
        )
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(old))
        if conn.execute(
            "select to_regnamespace(%s) is not null", (PUBLISHED_SCHEMA,)
        ).fetchone() == (True,):
            conn.execute(sql.SQL("alter schema {} rename to {}").format(live, old))
        conn.execute(sql.SQL("alter schema {} rename to {}").format(new, live))
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(old))


def scheduled_run(settings: Settings, inbox: Path, *, wait: bool) -> int:
    from loader.check import CheckAlert, check_target, print_check  # noqa: PLC0415
    from loader.commands import load_paths  # noqa: PLC0415

    if not inbox.is_dir():
        raise UserError(f"inbox {inbox} is not a folder")
    ensure_database(settings)
    started = time.monotonic()
    with run_lock(settings, wait=wait):
        for leftover in drop_dbt_leftovers(settings):
            print(f"run: dropped {leftover}, left by a build that was killed", flush=True)
        _step("load", inbox)
        has_files = any(inbox.iterdir())
        load_code = load_paths(settings, [inbox], None, as_json=False) if has_files else 0
        if load_code != 0:
            error_type = {2: UserError, 75: TransientError}.get(load_code, TerminalError)
            raise error_type("run stopped: some files failed to load; nothing was built")
        _step("dbt build", "(into analytics_next)")
        with db.connect(settings) as conn:
            judged = unpublished_loads(conn)
        prepare_next(settings)
        # The data-quality gates are tests of this build: `check` reads their results from
        # check_target() instead of running them again.
        (check_target(settings) / "run_results.json").unlink(missing_ok=True)
        try:
            built = run_dbt(
                settings,
                [
                    "build",
                    "--exclude-resource-type",
                    "unit_test",
                    "--vars",
                    '{"publish_suffix": "_next"}',
                    "--target-path",
                    str(check_target(settings)),
                ],
            )
            print_failures(settings, check_target(settings))
            if built != 0:
                raise TerminalError(
                    "run stopped: dbt build failed; the published marts are unchanged"
                )
            _step("check", "(analytics_next)")
            alert = None
            try:
                print_check(settings, None, NEXT, gates_already_run=True)
            except CheckAlert as raised:
                if raised.blocks_publish:
                    raise CheckAlert(
                        f"{raised}; run stopped, the published marts are unchanged"
                    ) from None
                alert = raised
        except BaseException:
            drop_next(settings)
            raise
        _step("publish", "(swap analytics_next in)")
        swap_in_next(settings, judged)
    print(f"run: done in {time.monotonic() - started:.0f} s")
    if alert is not None:
        raise CheckAlert(
            f"{alert}; published all the same (only the gates, the contract and isolation"
            " hold a run back)",
            blocks_publish=False,
        )
    return 0


def _step(name: str, detail: object = "") -> None:
    print(f"run: {name} {detail}".rstrip(), flush=True)
