"""retention: old task-level detail, aggregates and quarantined lines leave every table in
one transaction, and no aggregate figure inside its window moves, then or after a rebuild.

One warehouse of 100 days (2026-08-13 .. 2026-11-20). Retention as of 2026-11-21 keeps 70
days of detail (from 2026-09-12) and 85 days of aggregates (from 2026-08-28), so there are
sealed periods (between the two horizons), rebuilt periods (after the detail horizon; ROI
snapshots from 2026-11-10, 59 days later) and removed ones (before the aggregate horizon).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from conftest import WITHOUT_UNIT_TESTS, Warehouse, built_database, cli

from routing_analytics.tools.generate import GenerateOptions, generate

# Its tests share (and change) one warehouse, in order: one xdist worker runs them (conftest's
# SHARED_WAREHOUSE_MODULES), session-scoped because it may run other tests in between.
pytestmark = pytest.mark.integration

AS_OF = "2026-11-21T00:00:00Z"
DETAIL_DAYS, AGGREGATE_DAYS = 70, 85
DETAIL_KEPT_FROM = datetime(2026, 9, 12, tzinfo=UTC)
AGGREGATES_KEPT_FROM = datetime(2026, 8, 28, tzinfo=UTC)
RETENTION = (
    "retention",
    "--as-of",
    AS_OF,
    "--detail-days",
    str(DETAIL_DAYS),
    "--aggregate-days",
    str(AGGREGATE_DAYS),
)

# Each aggregate relation: the rows that must survive retention unchanged (inside the
# aggregate window) and the rows that must be gone.
AGGREGATES = {
    "analytics.usage_analytics": "date >= %(day)s",
    "analytics.customer_roi_snapshots": "snapshot_date >= %(day)s",
    "analytics.provider_performance": "period_end > %(aggregates)s",
    "analytics.cost_breakdowns_daily": "date >= %(day)s",
    "analytics.daily_tenant_metrics": "date >= %(day)s",
}
WINDOW = {"day": AGGREGATES_KEPT_FROM.date(), "aggregates": AGGREGATES_KEPT_FROM}

# Task-level detail, by the time that makes it old.
DETAIL_TIMES = {
    "analytics.task_executions": "timestamp_start",
    "staging.base_router__task_executions": "started_at",
    "staging.base_router__usage_events": "occurred_at",
    "staging.stg_router__task_executions": "started_at",
    "staging.stg_router__usage_events": "occurred_at",
}


@pytest.fixture(scope="session")
def warehouse(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    folder = tmp_path_factory.mktemp("retention")
    options = GenerateOptions(
        out_dir=folder / "data",
        tenants=4,
        days=100,
        executions=8_000,
        seed=17,
        end_date=date(2026, 11, 20),
        faults=True,
    )
    with built_database(server_url, folder, options) as built:
        yield built


def query(url: str, statement: str, params: object = None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


def aggregate_rows(url: str) -> dict[str, set[str]]:
    """The aggregate rows inside the window, whole and as text (numbers to the last digit),
    as sets (each relation has a unique key); without the stamp of the build that wrote them,
    which says when, not what."""
    rows = {}
    for relation, window in AGGREGATES.items():
        found = query(
            url,
            f"select cast(to_jsonb(agg) - '_inputs_staged_at' as text) from {relation} as agg"
            f" where {window}",
            WINDOW,
        )
        rows[relation] = {text for (text,) in found}
    return rows


def detail_counts(url: str) -> dict[str, int]:
    counts = {}
    for relation in (*DETAIL_TIMES, "raw.task_executions", "raw.usage_events"):
        counts[relation] = query(url, f"select count(*) from {relation}")[0][0]
    return counts


def age_half_the_quarantine(url: str) -> int:
    """Quarantined lines are set aside when loaded (today): make half of them 30 days old."""
    with psycopg.connect(url) as conn:
        conn.execute("set routing_analytics.maintenance = 'on'")
        return conn.execute(
            "update raw.quarantined_lines"
            " set _quarantined_at = timestamptz '2026-10-01 00:00+00'"
            " where _line_number % 2 = 0"
        ).rowcount


def test_a_dry_run_counts_what_would_go_and_changes_nothing(warehouse: Warehouse) -> None:
    """Runs before the module's retention (it does not use `retained`)."""
    url = warehouse.url
    before = detail_counts(url)
    dry = cli(warehouse.env, *RETENTION, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert re.search(r"raw\.task_executions: [\d,]+ rows would be removed", dry.stdout)
    assert "nothing was changed" in dry.stdout
    assert detail_counts(url) == before
    assert query(url, "select count(*) from retention.runs") == [(0,)]


@pytest.fixture(scope="session")
def retained(warehouse: Warehouse) -> dict[str, object]:
    """The warehouse before, then after retention; kept for every test of the module."""
    url = warehouse.url
    before = {
        "aggregates": aggregate_rows(url),
        "detail": detail_counts(url),
        "aged_quarantine": age_half_the_quarantine(url),
        "quarantine": query(url, "select count(*) from raw.quarantined_lines")[0][0],
        "old_users": query(
            url,
            "select count(distinct (tenant_id, user_id)) from staging.stg_router__usage_events"
            " where occurred_at < %s",
            (DETAIL_KEPT_FROM,),
        )[0][0],
    }
    result = cli(warehouse.env, *RETENTION)
    assert result.returncode == 0, result.stderr
    return {"before": before, "output": result.stdout}


def test_the_fixture_has_sealed_rebuilt_and_removed_periods(
    warehouse: Warehouse, retained: dict
) -> None:
    """Without every kind of period the other tests could not fail."""
    before = retained["before"]
    dates = query(
        warehouse.url,
        "select min(date), max(date) from analytics.usage_analytics"
        " union all select min(snapshot_date), max(snapshot_date)"
        " from analytics.customer_roi_snapshots",
    )
    day = DETAIL_KEPT_FROM.date()
    assert [first < day <= last for first, last in dates] == [True, True]
    assert dates[1][1] >= date(2026, 11, 10)
    assert all(before["aggregates"].values())
    assert before["aged_quarantine"] > 0 and before["old_users"] > 0
    assert before["detail"]["analytics.task_executions"] > 0


def test_old_detail_is_gone_from_every_layer(warehouse: Warehouse, retained: dict) -> None:
    before, url = retained["before"], warehouse.url
    after = detail_counts(url)
    for relation, column in DETAIL_TIMES.items():
        old = query(
            url, f"select count(*) from {relation} where {column} < %s", (DETAIL_KEPT_FROM,)
        )
        assert old == [(0,)], relation
        assert 0 < after[relation] < before["detail"][relation], relation
    for stream in ("task_executions", "usage_events"):
        assert after[f"raw.{stream}"] < before["detail"][f"raw.{stream}"]
    # A routing decision is detail of its task: one kept is of a kept task, or is recent.
    orphans = query(
        url,
        "select count(*) from analytics.routing_decisions as decisions"
        " where decided_at < %s and not exists (select from analytics.task_executions as tasks"
        " where tasks.id = decisions.task_execution_id)",
        (DETAIL_KEPT_FROM,),
    )
    assert orphans == [(0,)]
    assert "rows in one transaction" in retained["output"]
    # Retention recounted the loads in its transaction: the counts kept per load are those of
    # a count of all history, and they count the raw rows that are left.
    kept, in_full = "int.int_load_rows_judged", "int.int_load_rows_judged_in_full"
    for left, right in ((kept, in_full), (in_full, kept)):
        differing = f"select * from {left} except all select * from {right}"
        assert query(url, f"select count(*) from ({differing}) as differing") == [(0,)]
    for stream in ("task_executions", "usage_events"):
        counted = query(url, f"select sum(landed_rows) from {kept} where stream = %s", (stream,))
        assert counted == query(url, f"select count(*) from raw.{stream}"), stream


def test_aggregates_inside_their_window_do_not_move(warehouse: Warehouse, retained: dict) -> None:
    before = retained["before"]["aggregates"]
    assert aggregate_rows(warehouse.url) == before
    for relation, window in AGGREGATES.items():
        outside = query(
            warehouse.url, f"select count(*) from {relation} where not ({window})", WINDOW
        )
        assert outside == [(0,)], relation


def test_a_rebuild_after_retention_changes_no_aggregate(
    warehouse: Warehouse, retained: dict
) -> None:
    """--full-refresh rebuilds task_executions from what is left; the aggregates rebuild
    their unsealed periods from it (sealed ones are kept), and every figure is the same."""
    rebuilt = cli(warehouse.env, "build", "--full-refresh", "--", *WITHOUT_UNIT_TESTS)
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    assert aggregate_rows(warehouse.url) == retained["before"]["aggregates"]


def test_roi_says_when_a_period_reaches_before_the_retained_detail(
    warehouse: Warehouse, retained: dict
) -> None:
    """After the rebuild above, analytics.retention_horizons holds the horizon: a period
    that starts before it is answered from what is left, flagged incomplete, and `roi` warns;
    one inside it is complete."""
    url = warehouse.url
    assert query(url, "select detail_kept_from from analytics.retention_horizons") == [
        (DETAIL_KEPT_FROM,)
    ]
    (tenant,) = query(url, "select tenant_id from analytics.task_executions limit 1")[0]
    flags = query(
        url,
        "select days, (select complete from analytics.calculate_roi(%s, days, %s))"
        " from unnest(array[30, 90]) as days order by days",
        (tenant, AS_OF),
    )
    assert flags == [(30, True), (90, False)]
    long_period = cli(warehouse.env, "roi", "--tenant", tenant, "--days", "90", "--as-of", AS_OF)
    assert long_period.returncode == 0, long_period.stderr
    assert (
        "warning: incomplete: the period starts before 2026-09-12 00:00 UTC" in long_period.stderr
    )
    short_period = cli(warehouse.env, "roi", "--tenant", tenant, "--days", "30", "--as-of", AS_OF)
    assert "incomplete" not in short_period.stderr


def test_quarantine_keeps_only_recent_lines(warehouse: Warehouse, retained: dict) -> None:
    before = retained["before"]
    left = query(
        warehouse.url,
        "select count(*), count(*) filter (where _quarantined_at < %s) from raw.quarantined_lines",
        (datetime(2026, 11, 7, tzinfo=UTC),),
    )
    assert left == [(before["quarantine"] - before["aged_quarantine"], 0)]


def test_the_run_is_recorded_and_a_second_run_removes_nothing(
    warehouse: Warehouse, retained: dict
) -> None:
    again = cli(warehouse.env, *RETENTION)
    assert again.returncode == 0, again.stderr
    assert "retention: 0 rows" in again.stdout
    runs = query(
        warehouse.url,
        "select detail_kept_from, aggregates_kept_from, rows_removed"
        " from retention.runs order by run_id",
    )
    assert [run[:2] for run in runs] == [(DETAIL_KEPT_FROM, AGGREGATES_KEPT_FROM)] * 2
    assert runs[0][2]["raw.task_executions"] > 0
    assert sum(runs[1][2].values()) == 0
    assert aggregate_rows(warehouse.url) == retained["before"]["aggregates"]


LATE_ID = "0c0c0c0c-0000-4000-8000-00000000000c"
SEALED_DAY_START = datetime(2026, 9, 1, 12, tzinfo=UTC)


def test_a_late_record_of_a_sealed_day_moves_no_aggregate_and_goes_next_time(
    warehouse: Warehouse, retained: dict, tmp_path: Path
) -> None:
    """A task that started on a sealed day (detail already deleted) and arrives only now is a
    real record: it reaches task_executions, but no sealed figure; the next retention
    removes it. Runs after the run-count test above: it records a third run."""
    url = warehouse.url
    (record,) = query(
        url,
        "select record from raw.task_executions where record->>'id' in"
        " (select cast(id as text) from analytics.task_executions where status = 'completed')"
        " order by _load_id, _line_number limit 1",
    )[0]
    duration = timedelta(milliseconds=int(record["duration_ms"]))
    # A task of its own: an embedded decision with the original's id would be a newer
    # version of that decision, and move it away from the task it belongs to.
    record.pop("routing_decision", None)
    record.update(
        id=LATE_ID,
        task_id="task_late_after_retention",
        timestamp_start=SEALED_DAY_START.isoformat(),
        timestamp_end=(SEALED_DAY_START + duration).isoformat(),
    )
    late_file = tmp_path / "task_executions_late_after_retention.jsonl"
    late_file.write_text(json.dumps(record) + "\n")
    assert cli(warehouse.env, "load", str(late_file)).returncode == 0
    built = cli(warehouse.env, "build", "--", *WITHOUT_UNIT_TESTS)
    assert built.returncode == 0, built.stdout[-3000:]

    published = "select count(*) from analytics.task_executions where id = %s"
    assert query(url, published, (LATE_ID,)) == [(1,)]
    assert aggregate_rows(url) == retained["before"]["aggregates"]

    again = cli(warehouse.env, *RETENTION)
    assert again.returncode == 0, again.stderr
    assert query(url, published, (LATE_ID,)) == [(0,)]
    assert query(
        url, "select count(*) from raw.task_executions where record->>'id' = %s", (LATE_ID,)
    ) == [(0,)]
    assert aggregate_rows(url) == retained["before"]["aggregates"]


def test_the_scheduled_run_keeps_the_sealed_periods(
    warehouse: Warehouse, retained: dict, tmp_path: Path
) -> None:
    """`run` builds into a copy of the live marts and swaps it in: the sealed rows must come
    through the copy, the build and the swap unchanged."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ran = cli(warehouse.env, "run", str(inbox))
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert aggregate_rows(warehouse.url) == retained["before"]["aggregates"]


def test_bad_periods_are_refused_and_nothing_is_deleted(
    warehouse: Warehouse, retained: dict
) -> None:
    counts = detail_counts(warehouse.url)
    refused = cli(warehouse.env, "retention", "--detail-days", "30", "--aggregate-days", "20")
    assert refused.returncode == 2
    assert "cannot be kept shorter than the detail" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert detail_counts(warehouse.url) == counts


def test_retention_waits_for_no_scheduled_run(warehouse: Warehouse, retained: dict) -> None:
    """A run copies the marts: retention under it would see its deletions undone."""
    with psycopg.connect(warehouse.url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(hashtext('routing_analytics.run'))")
        blocked = cli(warehouse.env, *RETENTION)
    assert blocked.returncode == 75
    assert "in progress" in blocked.stderr


def test_an_unbuilt_warehouse_is_refused(cli_env: dict[str, str]) -> None:
    refused = cli(cli_env, "retention")
    assert refused.returncode == 2
    assert "not built" in refused.stderr


def test_forget_tenant_also_forgets_the_remembered_users(
    warehouse: Warehouse, retained: dict
) -> None:
    tenant = query(warehouse.url, "select min(tenant_id) from retention.usage_users_seen")[0][0]
    assert tenant is not None
    forgot = cli(warehouse.env, "forget-tenant", tenant)
    assert forgot.returncode == 0, forgot.stderr
    assert query(
        warehouse.url,
        "select count(*) from retention.usage_users_seen where tenant_id = %s",
        (tenant,),
    ) == [(0,)]


def test_a_database_loaded_by_an_older_version_builds(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    """Before retention existed there were no retention books: `build` creates them (the
    marts read them as sources) instead of failing."""
    options = GenerateOptions(
        out_dir=tmp_path / "data",
        tenants=3,
        days=2,
        executions=300,
        seed=3,
        end_date=date(2026, 11, 20),
    )
    generate(options)
    assert cli(cli_env, "load", str(options.out_dir)).returncode == 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("drop schema retention cascade")
        conn.execute("delete from raw.ddl_versions")
    built = cli(cli_env, "build", "--", *WITHOUT_UNIT_TESTS)
    assert built.returncode == 0, built.stdout[-3000:]
    assert query(database_url, "select count(*) from retention.runs") == [(0,)]
