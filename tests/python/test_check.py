"""`routing-analytics check`: gates, expectations and monitoring, stored per run; an alert
exits 1 with a clear message (what cron or an orchestrator pages on)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from conftest import cli, rows, settings_for

from routing_analytics.operations.changed_rows import CHANGED_SINCE_VAR, ChangedRows
from routing_analytics.operations.check import (
    BUSIEST_TENANT,
    DATA_LAG,
    FRESHNESS,
    MISSING_COST,
    CheckResult,
    human_bytes,
)
from routing_analytics.operations.scheduled_run import GENERIC_TESTS_RUN_TOGETHER
from routing_analytics.platform.ddl import apply_ddl
from routing_analytics.warehouse.gates import ONE_QUERY_TAG, failing_generic_test_lines
from routing_analytics.warehouse.relations import USAGE_ANALYTICS, in_schema

pytestmark = pytest.mark.integration

# The task mart's data-quality tests of severity warn: they count and list for review.
REVIEW_GATES = (
    "dq_cost_actual_above_baseline",
    "dq_missing_duration_or_tokens",
    "dq_high_cost_tasks",
    "dq_future_timestamps",
)
EXPECTED_CHECKS = {
    "assert_missing_cost_data_under_threshold",
    "assert_rejected_and_duplicate_rates_under_thresholds",
    *REVIEW_GATES,
    "great_expectations_contract",
    "data_freshness_minutes",
    "data_lag_minutes",
    "missing_cost_data_percent",
    "storage_bytes",
    "dashboard_query_latency_ms",
    "tenant_isolation_violations",
    "rejected_share_percent_all_history",
    "duplicate_share_percent_all_history",
}


def test_check_passes_and_records_one_row_per_check(warehouse_copy, tmp_path):
    warehouse = warehouse_copy
    result = cli(warehouse.env, "check", "--data-docs", str(tmp_path / "docs"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all gates passed; no alert" in result.stdout
    assert (tmp_path / "docs" / "index.html").exists()
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["STATUS", "CHECK", "MEASURED", "THRESHOLD"]
    storage = next(line for line in lines if "storage_bytes" in line)
    assert re.search(r"storage_bytes\s+[0-9]+[.][0-9] (KiB|MiB|GiB)\b", storage), storage
    progress = [line for line in result.stderr.splitlines() if " check " in line]
    assert [line.split()[2] for line in progress] == ["1/4:", "2/4:", "3/4:", "4/4:"]
    runs = rows(
        warehouse.url,
        "select run_id, array_agg(check_name order by check_name), array_agg(status)"
        " from monitoring.data_quality group by run_id",
    )
    assert len(runs) == 1  # a copy of its own: no other test's check
    _, names, statuses = runs[0]
    assert set(names) == EXPECTED_CHECKS
    assert "fail" not in statuses
    latency = rows(
        warehouse.url,
        "select measured_value from monitoring.data_quality"
        " where check_name = 'dashboard_query_latency_ms'",
    )
    assert all(value is not None and value >= 0 for (value,) in latency)


def test_the_dashboard_queries_are_compiled_again_only_when_something_changed(warehouse_copy):
    """Starting dbt costs seconds on every scheduled run: the compiled analyses are reused
    while the project's SQL, the vars and the database are the same."""
    target = Path(warehouse_copy.env["ANALYTICS_STATE_DIR"]) / "dbt" / "check-target" / "analytics"

    def compiled_at() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in target.rglob("compiled/**/analyses/*.sql")}

    def timed_checks() -> int:
        result = cli(warehouse_copy.env, "check")
        assert result.returncode == 0, result.stdout + result.stderr
        measured = rows(
            warehouse_copy.url,
            "select count(measured_value) from monitoring.data_quality"
            " where check_name = 'dashboard_query_latency_ms'",
        )
        return measured[0][0]

    assert timed_checks() == 1
    first = compiled_at()
    analyses = Path(__file__).parents[2] / "analyses"
    assert set(first) == {query.name for query in analyses.glob("*.sql")}
    assert timed_checks() == 2
    assert compiled_at() == first
    (target / "analyses.key").write_text("a project that has changed since")
    assert timed_checks() == 3
    assert all(compiled_at()[name] > first[name] for name in first)


def test_every_data_quality_column_is_documented_in_the_catalog(warehouse):
    """Analysts and dashboards read monitoring.data_quality directly: its descriptions live
    where psql and BI tools show them. The DDL `check` applies on every run."""
    with psycopg.connect(warehouse.url) as conn:
        apply_ddl(conn, "routing_analytics.operations", "ddl/monitoring.sql")
    undocumented = rows(
        warehouse.url,
        "select attname from pg_catalog.pg_attribute"
        " where attrelid = 'monitoring.data_quality'::regclass and attnum > 0"
        " and not attisdropped and col_description(attrelid, attnum) is null",
    )
    assert undocumented == []
    assert rows(
        warehouse.url, "select obj_description('monitoring.data_quality'::regclass, 'pg_class')"
    )[0][0].startswith("One row per check per")


def test_an_unprotected_tenant_table_is_an_alert(warehouse_copy):
    with psycopg.connect(warehouse_copy.url, autocommit=True) as conn:
        conn.execute("create table analytics.leaky_mart (tenant_id text)")
    result = cli(warehouse_copy.env, "check")
    assert result.returncode == 1
    assert "ALERT: tenant_isolation_violations (leaky_mart)" in result.stderr
    assert "Traceback" not in result.stderr


def _break_an_old_task(url: str, assignment: str) -> tuple[datetime, datetime]:
    """One old row of the task mart breaks a rule (as a bug of an earlier version could have
    left it); returns the newest input stamp of the mart and the broken row's stamp."""
    with psycopg.connect(url, autocommit=True) as conn:
        newest = conn.execute("select max(_inputs_staged_at) from analytics.task_executions")
        newest_input = newest.fetchone()[0]
        broken_input = conn.execute(
            f"update analytics.task_executions set {assignment}"
            " where id = (select id from analytics.task_executions order by id limit 1)"
            " returning _inputs_staged_at"
        ).fetchone()[0]
    return newest_input, broken_input


def test_a_run_holds_what_it_changed_to_the_contract_and_check_holds_every_row(warehouse_copy):
    """The scheduled run validates the raw rows of the loads it judges and the task rows built
    from inputs staged after those the live marts hold (its cost follows the change); `check`
    validates every row."""
    from routing_analytics.operations.expectations import validate  # noqa: PLC0415  (2 s import)

    url = warehouse_copy.url
    newest_input, broken_input = _break_an_old_task(url, "duration_ms = -1")
    with psycopg.connect(url) as conn:
        last_load = conn.execute("select max(load_id) from raw.loads").fetchone()[0]

    def failures(changed: ChangedRows | None) -> dict[tuple[str, str | None], int]:
        return {
            (result.relation, result.column): result.unexpected
            for result in validate(url, "analytics", None, changed)
            if not result.success
        }

    every_row = failures(None)
    assert every_row == {("analytics.task_executions", "duration_ms"): 1}
    assert failures(ChangedRows((last_load,), newest_input)) == {}
    before_broken = broken_input - timedelta(microseconds=1)
    assert failures(ChangedRows((last_load,), before_broken)) == every_row
    assert failures(ChangedRows((), None)) == every_row


def test_the_one_query_of_every_generic_test_fails_as_the_tests_do_one_by_one(warehouse_copy):
    """With ANALYTICS_CHANGED_SINCE (set by `run`: the newest input the live marts hold) the
    generic tests of a stamped relation read only the rows stamped after it. `run` checks
    the error-severity ones in one query (tests/assert_every_generic_test_passes.sql)
    instead of one dbt node each: it must fail on the tests that fail on their own, on as
    many rows, with and without ANALYTICS_CHANGED_SINCE, and `run` names each of them."""
    url = warehouse_copy.url
    newest_input, broken_input = _break_an_old_task(url, "cost_actual = -1, status = 'lost'")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "update analytics.daily_tenant_metrics set completed_tasks_count = -5"
            " where (tenant_id, date) = (select tenant_id, min(date)"
            " from analytics.daily_tenant_metrics group by tenant_id order by tenant_id limit 1)"
        )
    target = Path(warehouse_copy.env["DBT_TARGET_PATH"])
    # Only these two marts were broken: the tests of the others pass in either form.
    broken_marts = ("task_executions", "daily_tenant_metrics")
    one_by_one = [f"{mart},{GENERIC_TESTS_RUN_TOGETHER}" for mart in broken_marts]

    def failing(changed_since: datetime | None) -> tuple[dict[str, int], dict[str, int]]:
        """The failures of the tests one by one, and those the one query names."""
        env = {**warehouse_copy.env, CHANGED_SINCE_VAR: ""}
        if changed_since is not None:
            env[CHANGED_SINCE_VAR] = changed_since.isoformat()
        cli(env, "dbt", "--", "test", "--select", *one_by_one, f"tag:{ONE_QUERY_TAG}", "--quiet")
        return failing_test_counts(url, target)

    from_the_broken_row = failing(broken_input - timedelta(microseconds=1))
    assert from_the_broken_row[1] == from_the_broken_row[0]
    # Stamped after the broken task: none of the task mart's tests read it.
    separately, together = failing(newest_input)
    assert together == separately
    assert not [name for name in together if "_task_executions_" in name]

    separately, together = failing(None)
    assert together == separately
    assert from_the_broken_row == (separately, together)
    assert separately["accepted_range_task_executions_cost_actual__0"] == 1
    assert separately["accepted_range_daily_tenant_metrics_completed_tasks_count__0"] == 1
    assert [name for name in together if "accepted_values_task_executions_status" in name]
    settings = settings_for(url, Path(warehouse_copy.env["ANALYTICS_STATE_DIR"]))
    assert failing_generic_test_lines(settings, target) == [
        f"test {name} failed on {count} rows" for name, count in sorted(together.items())
    ]


def test_a_run_counts_the_review_gates_on_the_rows_it_changed_and_check_on_every_row(
    warehouse_copy,
):
    """The review gates of the task mart (severity warn: they count and list, never block)
    read what a run changed, like the run's other tests, so that their cost follows the
    change; `check` and `build` read every row."""
    url = warehouse_copy.url
    newest_input, _ = _break_an_old_task(url, "duration_ms = null")
    target = Path(warehouse_copy.env["DBT_TARGET_PATH"])

    def gate_failures(changed_since: datetime | None) -> dict[str, int]:
        env = {**warehouse_copy.env, CHANGED_SINCE_VAR: ""}
        if changed_since is not None:
            env[CHANGED_SINCE_VAR] = changed_since.isoformat()
        tested = cli(env, "dbt", "--", "test", "--select", "tag:data_quality,task_executions")
        assert tested.returncode == 0, tested.stdout[-3000:]
        manifest = json.loads((target / "manifest.json").read_text())["nodes"]
        results = json.loads((target / "run_results.json").read_text())["results"]
        named = {manifest.get(r["unique_id"], {}).get("name"): r["failures"] for r in results}
        return {name: failures for name, failures in named.items() if name in REVIEW_GATES}

    every_row = gate_failures(None)
    assert set(every_row) == set(REVIEW_GATES)
    assert every_row["dq_missing_duration_or_tokens"] >= 1
    assert gate_failures(newest_input) == dict.fromkeys(REVIEW_GATES, 0)
    assert gate_failures(newest_input - timedelta(days=3650)) == every_row


def failing_test_counts(url: str, target: Path) -> tuple[dict[str, int], dict[str, int]]:
    """The failing tests of the last dbt invocation with their counts, and those that the
    one query of every generic test names with theirs."""
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    separately, together = {}, {}
    for result in json.loads((target / "run_results.json").read_text())["results"]:
        if result["status"] != "fail":
            continue
        node = manifest[result["unique_id"]]
        if ONE_QUERY_TAG in node["tags"]:
            together.update(dict(rows(url, result["compiled_code"])))
        else:
            separately[node["name"]] = result["failures"]
    return separately, together


def test_only_gates_contract_and_isolation_hold_a_run_back():
    """A monitoring alert (lag, latency, an all-history share) pages without withholding
    data that passed the gates; a failed gate, contract or isolation check withholds it."""
    failed = {"status": "fail"}
    assert CheckResult("g", "dbt_test", **failed).blocks_publish
    assert CheckResult("great_expectations_contract", "expectations", **failed).blocks_publish
    assert CheckResult("tenant_isolation_violations", "monitor", **failed).blocks_publish
    assert not CheckResult("missing_cost_data_percent", "monitor", **failed).blocks_publish
    assert not CheckResult("dashboard_query_latency_ms", "monitor", **failed).blocks_publish
    assert not CheckResult("g", "dbt_test", status="warn").blocks_publish


def test_sizes_are_shown_in_binary_units():
    assert [human_bytes(n) for n in (0, 1023, 1536, 5 * 1024**2, 3 * 1024**3, 2 * 1024**4)] == [
        "0 B",
        "1023 B",
        "1.5 KiB",
        "5.0 MiB",
        "3.0 GiB",
        "2.0 TiB",
    ]


# Monitoring's figures as defined, over every row (what the bounded queries must equal).
WHOLE_HISTORY = {
    "freshness": """
        select extract(epoch from now() - max(newest)) / 60
        from (
            select max(_loaded_at) as newest from raw.task_executions
            union all select max(_loaded_at) from raw.routing_decisions
            union all select max(_loaded_at) from raw.usage_events
        ) as streams""",
    "lag": """
        select greatest(
            extract(epoch from (select max(_loaded_at) from raw.task_executions)
                - (select max(_inputs_loaded_at) from analytics.task_executions)) / 60,
            0
        )""",
    "missing": """
        select 100.0 * count(*) filter (where not is_priced) / nullif(count(*), 0)
        from analytics.task_executions""",
}


def test_the_monitoring_figures_equal_their_definitions_over_every_row(warehouse):
    """Monitoring runs in every scheduled run, so it reads the newest load's rows, an index
    per tenant and the day figures instead of whole tables: the same figures. The fixture's
    newest raw row was written by hand after its loads (land_by_hand). (Every build checks
    the day figures' tasks and unpriced tasks against the tasks, per tenant:
    assert_mart_totals_reconcile_with_staging.)"""
    usage, tasks = in_schema(USAGE_ANALYTICS, "analytics"), "analytics.task_executions"
    bounded = {
        "freshness": FRESHNESS,
        "lag": DATA_LAG.format(tasks=tasks),
        "missing": MISSING_COST.format(usage=usage),
    }
    # One transaction: now() is the same for both.
    with psycopg.connect(warehouse.url) as conn:
        figures = {
            name: (conn.execute(bounded[name]).fetchone(), conn.execute(query).fetchone())
            for name, query in WHOLE_HISTORY.items()
        }
        busiest = conn.execute(BUSIEST_TENANT.format(usage=usage)).fetchone()
        counts = dict(conn.execute(f"select tenant_id, count(*) from {tasks} group by 1"))
        newest_row = conn.execute(
            "select _load_id from raw.task_executions order by _loaded_at desc limit 1"
        ).fetchone()
    assert newest_row == (0,)  # by hand, after every load
    for name, (ours, defined) in figures.items():
        assert ours == defined, name
    assert busiest is not None and counts[busiest[0]] == max(counts.values())


def test_a_runs_contract_reads_the_raw_rows_of_its_loads(warehouse):
    """ChangedRows bounds its read of raw by the loads' start: the same rows as by load id."""
    loads = rows(warehouse.url, "select load_id, stream from raw.loads where rows_landed > 0")
    for stream in {stream for _, stream in loads}:
        newest = max(load_id for load_id, of in loads if of == stream)
        for load_ids in ((newest,), tuple(load_id for load_id, _ in loads)):
            changed = ChangedRows(load_ids=load_ids, staged_after=None)
            ids = ", ".join(map(str, load_ids))
            by_id = f"select * from raw.{stream} where _load_id in ({ids})"
            found = rows(warehouse.url, changed.raw_rows(stream) + " order by 1, 2, 3")
            assert found == rows(warehouse.url, by_id + " order by 1, 2, 3"), stream
            assert found
