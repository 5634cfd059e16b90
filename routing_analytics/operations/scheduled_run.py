"""`routing-analytics run INBOX`: the scheduled job (cron or an orchestrator calls this).

In order: load what is new in the inbox folder; `dbt build` into the standby schema
analytics_next (the marts as published one swap ago: the incremental ones catch up from there;
seeded with a copy of the live marts when there is none); the checks (gates, contract,
monitoring) against it; then, in one transaction, the standby and the live schema trade names
(warehouse/publish.py, docs/publishing.md). A failed build or gate publishes nothing and
leaves the live marts exactly as they were: customers never see a half-built or unchecked set,
and readers have no usage on the standby. A session advisory lock keeps two runs from
overlapping: a second run exits with a clear message (exit 75, try again later) or, with
--wait, waits.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

import psycopg

from routing_analytics.operations.changed_rows import ChangedRows
from routing_analytics.operations.check import (
    CheckAlert,
    check_target,
    import_expectations_in_background,
    print_check,
)
from routing_analytics.operations.load import load_paths
from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import TerminalError, TransientError, UserError
from routing_analytics.platform.locks import run_lock
from routing_analytics.warehouse.dbt import WITHOUT_UNIT_TESTS, ensure_database, run_dbt
from routing_analytics.warehouse.gates import print_failures
from routing_analytics.warehouse.publish import (
    NEXT,
    STANDBY_SCHEMA,
    drop_dbt_leftovers,
    prepare_next,
    swap_in_next,
    unpublished_loads,
)
from routing_analytics.warehouse.relations import PUBLISHED_SCHEMA, TASK_EXECUTIONS


def scheduled_run(settings: Settings, inbox: Path, *, wait: bool) -> int:
    if not inbox.is_dir():
        raise UserError(f"inbox {inbox} is not a folder")
    ensure_database(settings)
    started = time.monotonic()
    with run_lock(settings, wait=wait):
        for leftover in drop_dbt_leftovers(settings):
            print(f"run: dropped {leftover}, left by a build that was killed", flush=True)
        _step(started, "load", inbox)
        has_files = any(inbox.iterdir())
        load_code = load_paths(settings, [inbox], None, as_json=False) if has_files else 0
        if load_code != 0:
            error_type = {2: UserError, 75: TransientError}.get(load_code, TerminalError)
            raise error_type("run stopped: some files failed to load; nothing was built")
        with db.connect(settings) as conn:
            judged = unpublished_loads(conn)
            changed = ChangedRows(tuple(judged), _newest_published_input(conn))
        seeded = prepare_next(settings)
        _step(started, "dbt build", f"(into {STANDBY_SCHEMA}{SEEDED if seeded else ''})")
        alert = _build_and_check(settings, started, changed)
        _step(started, "publish", f"({STANDBY_SCHEMA} and {PUBLISHED_SCHEMA} trade names)")
        swap_in_next(settings, judged)
    print(f"run: done in {time.monotonic() - started:.0f} s")
    if alert is not None:
        raise CheckAlert(
            f"{alert}; published all the same (only the gates, the contract and isolation"
            " hold a run back)",
            blocks_publish=False,
        )
    return 0


SEEDED = ", a new standby seeded with a copy of the live marts"
FULL_HISTORY_TAG = "full_history"
# What tests/assert_every_generic_test_passes.sql checks in one query (dbt's selector syntax).
GENERIC_TESTS_RUN_TOGETHER = "test_type:generic,config.severity:error"
DBT_FILE_LOG_LEVEL = "DBT_LOG_LEVEL_FILE"


def _build_and_check(settings: Settings, started: float, changed: ChangedRows) -> CheckAlert | None:
    """Build the standby and check it; raises when a gate, the contract or isolation holds
    the publish back, returns an alert that does not."""
    # The data-quality gates are tests of this build: `check` reads their results from
    # check_target() instead of running them again.
    target = check_target(settings, STANDBY_SCHEMA)
    (target / "run_results.json").unlink(missing_ok=True)
    import_expectations_in_background()
    built = run_dbt(
        settings,
        [
            "build",
            *WITHOUT_UNIT_TESTS,
            # The checks that read all history (what the run recounted incrementally,
            # compared with a count from scratch) are for full builds and CI.
            "--exclude",
            f"tag:{FULL_HISTORY_TAG}",
            # The generic tests run in one query (tag ONE_QUERY_TAG), not as ~340 nodes
            # of about 30 ms of dbt's own time each.
            GENERIC_TESTS_RUN_TOGETHER,
            "--vars",
            json.dumps({"publish_suffix": NEXT}),
            "--target-path",
            str(target),
        ],
        # dbt's debug file log (every statement) costs about 5 % of its CPU in each run; an
        # operator who wants it sets DBT_LOG_LEVEL_FILE=debug.
        env={DBT_FILE_LOG_LEVEL: os.environ.get(DBT_FILE_LOG_LEVEL, "info"), **changed.dbt_env()},
    )
    print_failures(settings, target)
    if built != 0:
        raise TerminalError("run stopped: dbt build failed; the published marts are unchanged")
    _step(started, "check", f"({STANDBY_SCHEMA})")
    try:
        print_check(settings, None, NEXT, gates_already_run=True, changed=changed)
    except CheckAlert as raised:
        if raised.blocks_publish:
            raise CheckAlert(f"{raised}; run stopped, the published marts are unchanged") from None
        return raised
    return None


def _newest_published_input(conn: psycopg.Connection) -> datetime | None:
    """What the live task marts hold already: the rows built from later inputs are new."""
    # None before the first publish, or from marts built by a version without the column.
    stamped = db.tables_with_column(conn, "_inputs_staged_at")
    if tuple(TASK_EXECUTIONS.split(".")) not in stamped:
        return None
    row = conn.execute(f"select max(_inputs_staged_at) from {TASK_EXECUTIONS}").fetchone()
    return row[0] if row else None


def _step(started: float, name: str, detail: object = "") -> None:
    """A line per step, with the time since the run started (where a slow run spends it)."""
    what = f"{name} {detail}" if detail else name
    print(f"run: {what} [{time.monotonic() - started:.1f} s]", flush=True)
