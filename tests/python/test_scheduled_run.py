"""`routing-analytics run`: load, build, check and refresh in order, never two at a time."""

from __future__ import annotations

import json
import time
import uuid
from datetime import date

import psycopg
import pytest
from conftest import cli, rows, settings_for

from routing_analytics.tools.generate import GenerateOptions, generate
from routing_analytics.warehouse.publish import swap_in_next

pytestmark = pytest.mark.integration

USAGE = """
select
    has_schema_privilege('analytics_reader', '{schema}', 'usage'),
    has_schema_privilege('analytics_analyst', '{schema}', 'usage')
"""


def test_a_run_loads_builds_checks_and_refreshes(cli_env, tmp_path):
    inbox = tmp_path / "inbox"
    generate(
        GenerateOptions(
            out_dir=inbox, tenants=3, days=2, executions=1_500, seed=3, end_date=date(2026, 11, 20)
        )
    )
    result = cli(cli_env, "run", str(inbox))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    steps = [line for line in result.stdout.splitlines() if line.startswith("run: ")]
    assert [step.split()[1] for step in steps[:4]] == ["load", "dbt", "check", "publish"]
    url = cli_env["ANALYTICS_DATABASE_URL"]
    assert rows(url, "select count(*) > 0 from analytics.daily_tenant_metrics") == [(True,)]
    assert rows(url, "select count(distinct run_id) from monitoring.data_quality") == [(1,)]
    # The gates ran once, as tests of the build; check recorded their results.
    assert rows(
        url, "select count(*) from monitoring.data_quality where check_kind = 'dbt_test'"
    ) == [(6,)]

    published = rows(url, "select count(*), sum(cost_actual) from analytics.task_executions")

    assert rows(url, USAGE.format(schema="analytics")) == [(True, True)]
    assert rows(url, "select to_regnamespace('analytics_next') is null") == [(True,)]

    again = cli(cli_env, "run", str(inbox))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("status=skipped") == 5
    assert "(into analytics_next, a new standby seeded with a copy of the live marts)" in (
        again.stdout
    )
    assert (
        rows(url, "select count(*), sum(cost_actual) from analytics.task_executions") == published
    )
    # The marts published before are the standby now, out of the readers' reach; the next
    # run builds into it without a copy.
    assert rows(url, USAGE.format(schema="analytics_next")) == [(False, False)]
    assert rows(url, USAGE.format(schema="analytics")) == [(True, True)]

    # A sender breaks the contract: 15 % of the new records are rejected, a gate fails.
    template = json.loads((inbox / "task_executions.jsonl").read_text().splitlines()[0])
    with (inbox / "task_executions_bad_batch.jsonl").open("w") as bad:
        for number in range(300):
            record = {**template, "id": str(uuid.UUID(int=number + 1)), "status": "exploded"}
            bad.write(json.dumps(record) + "\n")
    failed = cli(cli_env, "run", str(inbox))
    assert failed.returncode == 1, failed.stdout[-2000:] + failed.stderr
    # The gate is a dbt test with severity error: the build inside the run fails on it.
    assert "assert_rejected_and_duplicate_rates_under_thresholds" in failed.stdout
    # ... and the run says which gate, stream, figure and threshold, in one line.
    assert (
        "routing-analytics: gate rejected_share failed: stream task_executions, 300 of 300 rows"
        " of unpublished loads (100.0 %) are rejected, above the threshold of 5.0"
    ) in failed.stderr
    assert "dbt build failed; the published marts are unchanged" in failed.stderr
    assert "(into analytics_next)" in failed.stdout
    assert (
        rows(url, "select count(*), sum(cost_actual) from analytics.task_executions") == published
    )
    # The refused build stays in the standby, which no reader can use.
    assert rows(url, USAGE.format(schema="analytics_next")) == [(False, False)]


def test_a_second_run_does_not_overlap(cli_env, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "task_executions.jsonl").write_text("")
    with psycopg.connect(cli_env["ANALYTICS_DATABASE_URL"], autocommit=True) as first_run:
        first_run.execute("select pg_advisory_lock(hashtext('routing_analytics.run'))")
        second = cli(cli_env, "run", str(inbox))
    assert second.returncode == 75
    assert "another `routing-analytics run` is in progress" in second.stderr
    assert "run: load" not in second.stdout


def test_a_writing_dbt_command_waits_for_the_run_before_discarding_its_standby(cli_env):
    """`dbt -- seed` changes the live marts, so the standby goes: only once the run that
    may be building or publishing it lets go of the lock."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    url = cli_env["ANALYTICS_DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as first_run:
        first_run.execute("create schema analytics_next")
        first_run.execute("select pg_advisory_lock(hashtext('routing_analytics.run'))")
        seed = subprocess.Popen(
            [sys.executable, "-m", "routing_analytics", "dbt", "--", "seed", "--quiet"],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        waiting = 0
        for _ in range(600):  # the command's start-up, then it queues for the lock
            waiting = first_run.execute(
                "select count(*) from pg_locks where locktype = 'advisory' and not granted"
            ).fetchone()[0]
            if waiting or seed.poll() is not None:
                break
            first_run.execute("select pg_sleep(0.1)")
        assert waiting == 1, seed.communicate()[0]
        assert rows(url, "select count(*) from pg_namespace where nspname = 'analytics_next'") == [
            (1,)
        ]
    output, _ = seed.communicate(timeout=600)
    assert seed.returncode == 0, output
    assert rows(url, "select count(*) from pg_namespace where nspname = 'analytics_next'") == [(0,)]


def test_a_missing_inbox_is_a_usage_error(cli_env, tmp_path):
    result = cli(cli_env, "run", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "is not a folder" in result.stderr


def test_a_reader_holding_a_transaction_delays_the_publish_but_never_the_dashboards(
    published_copy, tmp_path
):
    """A reader's open transaction on the live marts once blocked the swap and, queued behind
    it, every dashboard query. The swap now gives way (short lock_timeout) and retries."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import time  # noqa: PLC0415

    cli_env, url = published_copy.env, published_copy.url
    inbox = published_copy.generated.files["task_executions"][0].parent
    _keep_autovacuum_off_the_live_marts(url)
    holder = psycopg.connect(url)
    holder.execute("select count(*) from analytics.task_executions").fetchone()  # lock held
    # Files, not pipes: nobody reads a pipe until the run ends, and dbt would block on it.
    out_path, err_path = tmp_path / "run.out", tmp_path / "run.err"
    with out_path.open("w") as out_file, err_path.open("w") as err_file:
        run = subprocess.Popen(
            [sys.executable, "-m", "routing_analytics", "run", str(inbox)],
            env=cli_env,
            stdout=out_file,
            stderr=err_file,
        )
    slowest_dashboard_s = 0.0
    try:
        # Before the fix a dashboard query queued behind the swap until the reader let go.
        with psycopg.connect(
            url, autocommit=True, options="-c statement_timeout=5000"
        ) as dashboard:
            deadline = time.monotonic() + 600
            waited = False
            while run.poll() is None and time.monotonic() < deadline:
                started = time.monotonic()
                dashboard.execute("select count(*) from analytics.usage_analytics").fetchone()
                slowest_dashboard_s = max(slowest_dashboard_s, time.monotonic() - started)
                waited = waited or _publish_is_waiting(dashboard)
                if waited and time.monotonic() - started < 5:
                    time.sleep(3)  # let a few attempts give way, then release the lock
                    break
                time.sleep(0.2)
            assert waited, "the run never tried to publish while the lock was held"
    finally:
        holder.close()
    run.wait(timeout=600)
    out, err = out_path.read_text(), err_path.read_text()
    assert run.returncode == 0, out[-2000:] + err[-2000:]
    assert "publishing waited over 500ms for a lock on the live marts" in err
    # A dashboard query waited at most about one lock_timeout behind the swap.
    assert slowest_dashboard_s < 2.0, slowest_dashboard_s


def test_an_autovacuum_of_a_live_table_gives_way_to_the_publish(published_copy, tmp_path, capsys):
    """PostgreSQL cancels an autovacuum that blocks a lock request only after the request has
    waited deadlock_timeout (1 s): the swap's 500 ms attempts once all gave up while a vacuum
    of a live table ran, and the run exited 75. Now the swap outwaits deadlock_timeout while
    an autovacuum worker holds a live table, and publishes at its first attempt."""
    url = published_copy.url
    with psycopg.connect(url, autocommit=True) as conn:
        # A live table that autovacuum works on for minutes: dead rows, and the slowest
        # cost-based delay (the sleep after every page it dirties).
        conn.execute(
            "create table analytics.vacuumed_slowly with (autovacuum_vacuum_threshold = 0,"
            " autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_cost_delay = 100,"
            " autovacuum_vacuum_cost_limit = 1, autovacuum_analyze_threshold = 2000000000)"
            " as select id, repeat('x', 200) as padding from generate_series(1, 20000) as id"
        )
        conn.execute("delete from analytics.vacuumed_slowly where id % 2 = 0")
        conn.execute("create schema analytics_next")
        _wait_for_autovacuum_of(conn, "analytics.vacuumed_slowly")

        swap_in_next(settings_for(url, tmp_path / "state"), [])

        assert "publishing waited" not in capsys.readouterr().err
        # The schemas traded names while the worker was vacuuming (it was cancelled).
        assert rows(url, "select to_regclass('analytics_next.vacuumed_slowly') is not null") == [
            (True,)
        ]


def _wait_for_autovacuum_of(conn: psycopg.Connection, table: str) -> None:
    """Until an autovacuum worker works on `table`. The launcher visits each database once
    per autovacuum_naptime (60 s): the server's setting is left alone, since a shorter one
    would bring autovacuum to the live tables of the tests running beside this one."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        vacuumed = conn.execute(
            "select exists (select from pg_catalog.pg_locks as locks"
            " inner join pg_catalog.pg_stat_activity as activity using (pid)"
            " where activity.backend_type = 'autovacuum worker'"
            " and activity.datname = current_database()"
            " and locks.relation = to_regclass(%s))",
            (table,),
        ).fetchone()
        if vacuumed == (True,):
            return
        time.sleep(0.5)
    raise AssertionError(f"no autovacuum worker came to {table} in 240 s")


def _keep_autovacuum_off_the_live_marts(url: str) -> None:
    """An autovacuum of a live table lengthens each publish attempt's wait to
    deadlock_timeout + 500 ms, so the "500ms" the reader test expects needs none under way.
    The ALTER waits for (and so cancels) one that is; none starts afterwards."""
    with psycopg.connect(url, autocommit=True) as conn:
        live = conn.execute(
            "select case relkind when 'm' then 'materialized view' else 'table' end,"
            " format('analytics.%I', relname)"
            " from pg_catalog.pg_class"
            " where relnamespace = 'analytics'::regnamespace and relkind in ('r', 'm')"
        ).fetchall()
        assert live
        for kind, relation in live:
            conn.execute(f"alter {kind} {relation} set (autovacuum_enabled = false)")


def _publish_is_waiting(conn: psycopg.Connection) -> bool:
    """Whether a publish of this test's database waits for a lock: the tests beside it
    publish in databases of their own on the same server, and pg_stat_activity shows all."""
    row = conn.execute(
        "select count(*) from pg_catalog.pg_stat_activity"
        " where datname = current_database()"
        " and wait_event_type = 'Lock' and query ~ '^lock table '"
    ).fetchone()
    return bool(row and row[0])


def test_a_killed_run_takes_its_build_with_it_and_the_next_run_publishes(cli_env, tmp_path):
    """kill -9 of `run` once left dbt building as an orphan, beside the next run."""
    import os  # noqa: PLC0415
    import signal  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import time  # noqa: PLC0415

    url = cli_env["ANALYTICS_DATABASE_URL"]
    inbox = tmp_path / "inbox"
    generate(
        GenerateOptions(
            out_dir=inbox, tenants=3, days=2, executions=1_000, seed=6, end_date=date(2026, 11, 20)
        )
    )
    with (tmp_path / "killed.out").open("w") as out:
        run = subprocess.Popen(
            [sys.executable, "-m", "routing_analytics", "run", str(inbox)],
            env=cli_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 300
    dbt_pid = None
    while dbt_pid is None and time.monotonic() < deadline and run.poll() is None:
        dbt_pid = _child_dbt(run.pid)
        time.sleep(0.2)
    assert dbt_pid is not None, (tmp_path / "killed.out").read_text()[-2000:]
    time.sleep(2)  # let it start building
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    gone_by = time.monotonic() + 10
    while time.monotonic() < gone_by and _alive(dbt_pid):
        time.sleep(0.5)
    assert not _alive(dbt_pid), "dbt outlived the run that started it"
    again = cli(cli_env, "run", str(inbox))
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    leftovers = rows(
        url,
        "select count(*) from pg_catalog.pg_class where relname like '%\\_\\_dbt\\_backup'"
        " or relname like '%\\_\\_dbt\\_tmp%'",
    )
    assert leftovers == [(0,)]
    assert rows(url, "select count(*) > 0 from analytics.task_executions") == [(True,)]


def _child_dbt(parent: int) -> int | None:
    from pathlib import Path  # noqa: PLC0415

    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
            cmdline = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(parent) and b"dbt" in cmdline:
            return int(status.parent.name)
    return None


def _alive(pid: int) -> bool:
    from pathlib import Path  # noqa: PLC0415

    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in state
