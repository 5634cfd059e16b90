"""`routing-analytics run INBOX`: the scheduled job (cron or an orchestrator calls this).

In order: load what is new in the inbox folder, `dbt build`, the checks (gates, contract,
monitoring), then refresh the materialized views concurrently. A session advisory lock on
the database keeps two runs from overlapping: a second run exits with a clear message (exit
75, try again later) or, with --wait, waits for the first. A step that fails stops the run:
nothing after it happens.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psycopg import sql

from loader import db
from loader.config import Settings
from loader.errors import TerminalError, TransientError, UserError

RUN_LOCK_KEY = "routing_analytics.run"

MATERIALIZED_VIEWS = """
select namespace.nspname, class.relname
from pg_catalog.pg_class as class
inner join pg_catalog.pg_namespace as namespace on namespace.oid = class.relnamespace
where class.relkind = 'm' and class.relispopulated
  and namespace.nspname not in ('pg_catalog', 'information_schema')
order by 1, 2
"""


class RunInProgress(TransientError):
    """Another scheduled run holds the lock; cron will try again at its next tick."""


@contextmanager
def run_lock(settings: Settings, *, wait: bool) -> Iterator[None]:
    """Held for the whole run on its own connection; released when it closes, also on a crash."""
    with db.connect(settings, autocommit=True) as conn:
        if wait:
            conn.execute("select pg_advisory_lock(hashtext(%s))", (RUN_LOCK_KEY,))
        else:
            taken = conn.execute(
                "select pg_try_advisory_lock(hashtext(%s))", (RUN_LOCK_KEY,)
            ).fetchone()
            if taken != (True,):
                raise RunInProgress(
                    "another `routing-analytics run` is in progress on this database;"
                    " not starting a second one (use --wait to wait for it)"
                )
        yield


def refresh_materialized_views(settings: Settings) -> list[str]:
    refreshed = []
    with db.connect(settings, autocommit=True) as conn:
        for schema, view in conn.execute(MATERIALIZED_VIEWS).fetchall():
            conn.execute(
                sql.SQL("refresh materialized view concurrently {}").format(
                    sql.Identifier(schema, view)
                )
            )
            refreshed.append(f"{schema}.{view}")
    return refreshed


def scheduled_run(settings: Settings, inbox: Path, *, wait: bool) -> int:
    from loader.check import print_check  # noqa: PLC0415
    from loader.commands import load_paths  # noqa: PLC0415
    from loader.dbt import ensure_database, run_dbt  # noqa: PLC0415

    if not inbox.is_dir():
        raise UserError(f"inbox {inbox} is not a folder")
    ensure_database(settings)
    started = time.monotonic()
    with run_lock(settings, wait=wait):
        _step("load", inbox)
        if any(inbox.iterdir()) and load_paths(settings, [inbox], None, as_json=False) != 0:
            raise TerminalError("run stopped: some files failed to load; nothing was built")
        _step("dbt build")
        if run_dbt(settings, ["build", "--exclude-resource-type", "unit_test"]) != 0:
            raise TerminalError("run stopped: dbt build failed; the checks and refresh did not run")
        _step("check")
        print_check(settings, None)
        _step("refresh materialized views")
        for view in refresh_materialized_views(settings):
            print(f"  refreshed {view}")
    print(f"run: done in {time.monotonic() - started:.0f} s")
    return 0


def _step(name: str, detail: object = "") -> None:
    print(f"run: {name} {detail}".rstrip(), flush=True)
