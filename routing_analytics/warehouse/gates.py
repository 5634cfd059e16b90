"""The data-quality gates as `run`, `build` and `check` report them: one line per failure.

The gates are dbt tests tagged data_quality (tests/assert_*_under_threshold*.sql and the
tests in the models' yml). A failing gate test returns one row per failure; the rate gates
carry a `gate_failure` column that names the gate, the stream, the figure and the threshold.
dbt itself only says "Got 1 result": this module reads the results of the last dbt
invocation and asks the database for those rows again, so that an operator reads what
failed without opening dbt's files. The same goes for the one query in which `run` tests
every generic test (tests/assert_every_generic_test_passes.sql): a line per failing test.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from loader.raw_schema import apply_raw_ddl
from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.locks import run_lock
from routing_analytics.warehouse.dbt import ensure_database, run_dbt
from routing_analytics.warehouse.publish import discard_standby, mark_published, unpublished_loads

GATE_TAG = "data_quality"
# tests/assert_every_generic_test_passes.sql: a run's generic tests in one query, a row per
# failing test (its name and failing_rows).
ONE_QUERY_TAG = "generic_tests_in_one_query"
MAX_LINES_PER_GATE = 20


@dataclass(frozen=True)
class GateResult:
    name: str
    status: str  # pass | warn | fail | error | skipped
    severity: str
    failures: int | None
    threshold: str
    message: str
    compiled_code: str | None

    @property
    def blocks(self) -> bool:
        """An error-severity gate that failed, errored or was skipped stops the publish."""
        return self.severity == "error" and self.status != "pass"


def gate_results(target: Path) -> list[GateResult]:
    """The data-quality tests of the last dbt invocation that wrote to `target`."""
    return tests_tagged(target, GATE_TAG)


def tests_tagged(target: Path, tag: str) -> list[GateResult]:
    """The tests tagged `tag` of the last dbt invocation that wrote to `target`."""
    run_results, manifest_file = target / "run_results.json", target / "manifest.json"
    if not run_results.exists() or not manifest_file.exists():
        return []
    nodes = json.loads(manifest_file.read_text())["nodes"]
    found = []
    for result in json.loads(run_results.read_text())["results"]:
        node = nodes.get(result["unique_id"], {})
        if tag not in node.get("tags", ()):
            continue
        config = node.get("config", {})
        found.append(
            GateResult(
                name=node.get("name", result["unique_id"]),
                status=str(result.get("status")),
                severity=str(config.get("severity", "error")).lower(),
                failures=result.get("failures"),
                threshold=str(config.get("meta", {}).get("threshold", "0")),
                message=(result.get("message") or "").strip(),
                compiled_code=result.get("compiled_code") or node.get("compiled_code"),
            )
        )
    return found


def all_gates_passed(results: list[GateResult]) -> bool:
    """True when the gates ran (at least one) and none of the error-severity ones failed."""
    return bool(results) and not any(result.blocks for result in results)


def failure_lines(settings: Settings, results: list[GateResult]) -> dict[str, list[str]]:
    """Per blocking gate, one line per failing row (at most 20 per gate)."""
    if not any(result.blocks for result in results):
        return {}
    with db.connect(settings, autocommit=True) as conn:
        return {result.name: _lines_of(conn, result) for result in results if result.blocks}


def _lines_of(conn: psycopg.Connection, result: GateResult) -> list[str]:
    fallback = (
        f"gate {result.name} failed: {result.failures if result.failures is not None else '?'}"
        f" failing rows, threshold {result.threshold}"
    )
    if result.status != "fail" or not result.compiled_code:
        return [f"gate {result.name} {result.status}: {result.message or 'see dbt output'}"]
    columns, rows = _failing_rows(conn, result.compiled_code)
    if "gate_failure" not in columns or not rows:
        return [fallback]
    position = columns.index("gate_failure")
    return [str(row[position]) for row in rows]


def _failing_rows(
    conn: psycopg.Connection, compiled_code: str
) -> tuple[list[str], list[tuple[object, ...]]]:
    """The first rows a failed test returns again (none when that query fails now)."""
    query = sql.SQL("select * from ({}) as failing limit {}").format(
        sql.SQL(compiled_code.rstrip().rstrip(";")), sql.Literal(MAX_LINES_PER_GATE)
    )
    try:
        with conn.transaction(), conn.cursor() as cursor:
            cursor.execute("set local statement_timeout = '60s'")
            cursor.execute(query)
            return [column.name for column in cursor.description or ()], cursor.fetchall()
    except psycopg.Error:
        return [], []


def failing_generic_test_lines(settings: Settings, target: Path) -> list[str]:
    """A line per generic test that failed in the one query of a run (dbt itself only says
    how many failed)."""
    failed = [
        result
        for result in tests_tagged(target, ONE_QUERY_TAG)
        if result.status == "fail" and result.compiled_code
    ]
    if not failed:
        return []
    lines: list[str] = []
    with db.connect(settings, autocommit=True) as conn:
        for result in failed:
            columns, rows = _failing_rows(conn, result.compiled_code or "")
            named = {"test_name", "failing_rows"} <= set(columns)
            lines += [
                f"test {row[columns.index('test_name')]} failed on"
                f" {row[columns.index('failing_rows')]} rows"
                for row in (rows if named else ())
            ] or [f"{result.name} failed: {result.failures} generic tests failed"]
    return lines


def print_failures(settings: Settings, target: Path) -> list[GateResult]:
    """Print the failing gates and generic tests of the last invocation (stderr, one line
    each); the gates' results."""
    results = gate_results(target)
    gate_lines = [line for lines in failure_lines(settings, results).values() for line in lines]
    for line in gate_lines + failing_generic_test_lines(settings, target):
        print(f"routing-analytics: {line}", flush=True, file=sys.stderr)
    return results


def gated_build(settings: Settings, dbt_args: list[str], *, published_by: str = "build") -> int:
    """`dbt build` of the live marts that reports failed gates in one line each and, when it
    succeeded with every gate run and passed, records the loads it judged as published. It
    changes the live marts outside a run: the run's standby goes (warehouse/publish.py)."""
    ensure_database(settings)
    with run_lock(settings, wait=True):
        with db.connect(settings) as conn:
            apply_raw_ddl(conn)
            discard_standby(conn)
            judged = unpublished_loads(conn)
        target = target_path(settings, dbt_args)
        (target / "run_results.json").unlink(missing_ok=True)
        # build runs each generic test as its own node; the one query of them is for `run`.
        code = run_dbt(settings, [*dbt_args, "--exclude", f"tag:{ONE_QUERY_TAG}"])
        results = print_failures(settings, target)
        if code == 0 and all_gates_passed(results):
            with db.connect(settings) as conn, conn.transaction():
                mark_published(conn, judged, published_by)
    return code


def target_path(settings: Settings, dbt_args: list[str]) -> Path:
    """Where this dbt invocation writes run_results.json: --target-path, else dbt's
    DBT_TARGET_PATH, else target/ (relative paths from the project, as dbt reads them)."""
    if "--target-path" in dbt_args[:-1]:
        return Path(dbt_args[dbt_args.index("--target-path") + 1])
    return settings.project_dir / os.environ.get("DBT_TARGET_PATH", "target")
