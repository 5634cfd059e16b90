"""Re-sent snapshots, gates on what a run adds, and withdrawing a bad load.

A router re-sends its tenant list and price list again and again. An identical re-send is
no duplicate; a conflicting version is, and a batch full of them stops the run with one line
that names the gate, the stream, the figure and the threshold. The operator withdraws the
batch and the next run publishes; restoring it brings the gate back.
"""

from __future__ import annotations

import csv
import re
from functools import partial

import pytest
from conftest import WITHOUT_UNIT_TESTS, cli, rows

pytestmark = pytest.mark.integration

RECONCILIATION = """
select stream, raw_rows, staged_rows, rejected_rows, resent_rows, conflicting_rows,
    withdrawn_rows, is_reconciled
from int.int_stream_reconciliation
where stream = %s
"""


def _snapshot(path, *, change=None, extra=None):
    """The rows of a CSV snapshot file, optionally changed, plus extra rows."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields, records = reader.fieldnames, list(reader)
    if change:
        records = [{**record, **change} for record in records]
    return fields, records + (extra or [])


def _write(path, fields, records):
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(records)


def _reconciliation(url, stream):
    return dict(
        zip(
            (
                "stream",
                "raw",
                "staged",
                "rejected",
                "resent",
                "conflicting",
                "withdrawn",
                "reconciled",
            ),
            rows(url, RECONCILIATION.replace("%s", f"'{stream}'"))[0],
            strict=True,
        )
    )


def _load_id(output, file_name):
    match = re.search(
        rf"load stream=\w+ file={re.escape(file_name)} status=succeeded load_id=(\d+)", output
    )
    assert match, output
    return match.group(1)


def test_resent_snapshots_are_no_duplicates(published_copy, tmp_path):
    cli_env, url = published_copy.env, published_copy.url
    first = published_copy.generated.files["tenants"][0].parent
    tenants_before = _reconciliation(url, "tenants")
    assert tenants_before["resent"] == tenants_before["conflicting"] == 0

    # The router re-sends both snapshots whole, with one new tenant: new files (new content,
    # so they land), most of whose records are identical to what landed before.
    resend = tmp_path / "resend"
    resend.mkdir()
    fields, tenants = _snapshot(
        first / "tenants.csv",
        extra=[
            {
                "tenant_id": "tenant_0099",
                "default_provider": "openai",
                "default_model": "",
                "plan": "pro",
                "created_at": "2026-01-05T10:00:00Z",
            }
        ],
    )
    _write(resend / "tenants_resent.csv", fields, tenants)
    price_fields, prices = _snapshot(first / "provider_pricing.csv")
    _write(resend / "provider_pricing_resent.csv", price_fields, list(reversed(prices)))
    again = cli(cli_env, "run", str(resend))
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    tenants_after = _reconciliation(url, "tenants")
    assert tenants_after["resent"] == 3
    assert tenants_after["conflicting"] == 0
    assert tenants_after["staged"] == 4
    assert tenants_after["reconciled"] is True
    pricing = _reconciliation(url, "provider_pricing")
    assert pricing["resent"] == len(prices)
    assert pricing["conflicting"] == 0


PARSED_AGAIN = "Unable to do partial parsing"


def test_a_batch_of_conflicting_versions_blocks_the_run_until_withdrawn(published_copy, tmp_path):
    cli_env, url = published_copy.env, published_copy.url
    # What dbt parses is asserted below: no command here starts from a parse an earlier test
    # of this worker left (conftest.cli).
    command = partial(cli, cli_env, reuse_parse=False)
    first = published_copy.generated.files["tenants"][0].parent
    # A batch of conflicting versions (every tenant's sign-up changed) breaks the gate: the run
    # stops with one line naming the gate, the stream, the figure and the threshold.
    bad = tmp_path / "bad"
    bad.mkdir()
    _write(
        bad / "tenants_bad.csv",
        *_snapshot(first / "tenants.csv", change={"created_at": "2020-01-01T00:00:00Z"}),
    )
    live = rows(url, "select count(*), sum(cost_actual) from analytics.task_executions")
    plans = rows(url, "select tenant_id, created_at from staging.stg_router__tenants order by 1")
    blocked = command("run", str(bad))
    assert blocked.returncode == 1, blocked.stdout[-2000:] + blocked.stderr
    gate_line = (
        "routing-analytics: gate duplicate_share failed: stream tenants, 3 of 3 rows of"
        " unpublished loads (100.0 %) are conflicting versions, above the threshold of 10"
    )
    assert gate_line in blocked.stderr
    assert "the published marts are unchanged" in blocked.stderr
    assert rows(url, "select count(*), sum(cost_actual) from analytics.task_executions") == live
    # build and check say the same, in one line.
    for arguments in (("build", "--", *WITHOUT_UNIT_TESTS), ("check",)):
        result = command(*arguments)
        assert result.returncode == 1, arguments
        assert gate_line in result.stderr, (arguments, result.stderr[-2000:])

    listed = command("loads", "list")
    assert listed.returncode == 0, listed.stderr
    bad_load = _load_id(blocked.stdout, "tenants_bad.csv")
    assert re.search(rf"^\s*{bad_load}\s+tenants\s+unpublished\s", listed.stdout, re.M)

    reason = "sender reset the sign-up dates"
    withdrawn = command("loads", "withdraw", bad_load, "--reason", reason)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert rows(
        url, f"select action, reason from raw.load_withdrawals where load_id = {bad_load}"
    ) == [("withdraw", reason)]
    unblocked = command("run", str(bad))
    assert unblocked.returncode == 0, unblocked.stdout[-3000:] + unblocked.stderr[-2000:]
    # The `check` of the live marts in between parsed in a dbt folder of its own: this run
    # reuses its first run's parse (the first run parsed, as dbt says on stdout).
    assert PARSED_AGAIN in blocked.stdout
    assert PARSED_AGAIN not in unblocked.stdout
    # The rows stay in raw; staging ignores them; the reconciliation counts them.
    assert rows(url, f"select count(*) from raw.tenants where _load_id = {bad_load}") == [(3,)]
    assert (
        rows(url, "select tenant_id, created_at from staging.stg_router__tenants order by 1")
        == plans
    )
    reconciled = _reconciliation(url, "tenants")
    assert reconciled["withdrawn"] == 3
    assert reconciled["reconciled"] is True
    listed = command("loads", "list")
    assert re.search(rf"^\s*{bad_load}\s+tenants\s+withdrawn\s.*{reason}", listed.stdout, re.M)
    twice = command("loads", "withdraw", bad_load, "--reason", "again")
    assert twice.returncode == 2
    assert "already withdrawn" in twice.stderr

    # Restored, the load is judged again (it was never published) and blocks again.
    restored = command("loads", "restore", bad_load)
    assert restored.returncode == 0, restored.stderr
    blocked_again = command("run", str(bad))
    assert blocked_again.returncode == 1
    assert gate_line in blocked_again.stderr
    assert rows(
        url,
        f"select action from raw.load_withdrawals where load_id = {bad_load} order by action_id",
    ) == [("withdraw",), ("restore",)]


def test_a_withdrawn_published_load_leaves_the_marts_at_the_next_run_and_restore_returns_it(
    published_copy,
):
    """The task-level marts are incremental: without help, rows of a withdrawn load that was
    already published would stay. Every figure must match staging again after the next run."""
    cli_env, url = published_copy.env, published_copy.url
    inbox = published_copy.generated.files["task_executions"][0].parent
    task_load, decision_load = (
        str(rows(url, f"select load_id from raw.loads where stream = '{stream}'")[0][0])
        for stream in ("task_executions", "routing_decisions")
    )
    totals = """
        select count(*), sum(cost_actual), count(*) filter (where has_routing_decision)
        from analytics.task_executions
    """
    before = rows(url, totals)
    decisions_before = rows(url, "select count(*) from analytics.routing_decisions")
    for load in (task_load, decision_load):
        withdrawn = cli(cli_env, "loads", "withdraw", load, "--reason", "replayed by mistake")
        assert withdrawn.returncode == 0, withdrawn.stderr
    again = cli(cli_env, "run", str(inbox))
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    leftover_tasks = f"""
        select count(*) from analytics.task_executions where id in (
            select task_execution_id from staging.base_router__task_executions
            where _load_id = {task_load})
    """
    leftover_decisions = f"""
        select count(*) from analytics.routing_decisions where id in (
            select routing_decision_id from staging.base_router__routing_decisions
            where _load_id = {decision_load})
    """
    assert before[0][0] > 0 and decisions_before[0][0] > 0
    assert rows(url, leftover_tasks) == rows(url, leftover_decisions) == [(0,)]
    # Reconciliation of the marts to staging holds (a dbt test of the run's build); and the
    # published figures are those of what staging holds now.
    assert rows(url, "select count(*) from staging.stg_router__task_executions") == rows(
        url, "select count(*) from analytics.task_executions"
    )
    for load in (task_load, decision_load):
        assert cli(cli_env, "loads", "restore", load).returncode == 0
    restored = cli(cli_env, "run", str(inbox))
    assert restored.returncode == 0, restored.stdout[-3000:] + restored.stderr[-2000:]
    assert rows(url, totals) == before
    assert rows(url, "select count(*) from analytics.routing_decisions") == decisions_before


def test_loads_commands_refuse_unknown_loads(cli_env):
    result = cli(cli_env, "loads", "withdraw", "424242", "--reason", "typo")
    assert result.returncode == 2
    assert "no load 424242" in result.stderr
    empty_reason = cli(cli_env, "loads", "withdraw", "1", "--reason", "  ")
    assert empty_reason.returncode == 2
    assert "give a reason" in empty_reason.stderr


# What customers see of each task, decision and period. Columns that start with an
# underscore are build stamps: a run and a full refresh stamp different times.
PUBLISHED_FIGURES = (
    "task_executions",
    "routing_decisions",
    "cost_breakdowns_daily",
    "daily_tenant_metrics",
    "usage_analytics",
    "customer_roi_snapshots",
    "provider_performance",
)


def _figures(url: str) -> dict[str, list[tuple]]:
    figures = {}
    for table in PUBLISHED_FIGURES:
        columns = ", ".join(
            name
            for (name,) in rows(
                url,
                f"""select column_name from information_schema.columns
                where table_schema = 'analytics' and table_name = '{table}'
                    and left(column_name, 1) <> '_'
                order by ordinal_position""",
            )
        )
        figures[table] = rows(url, f"select {columns} from analytics.{table} order by {columns}")
    return figures


def test_a_withdrawn_decision_or_tenant_row_moves_every_figure_it_fed_as_a_full_refresh_would(
    published_copy,
):
    """A task's baseline comes from its routing decision's estimates or its tenant's default
    provider. Withdrawn, they no longer count: the next run publishes what a full rebuild of
    what staging holds publishes. A withdrawal undone before any run changes nothing, though
    it removed the rows of the load's tasks from the live marts."""
    cli_env, url = published_copy.env, published_copy.url
    inbox = published_copy.generated.files["task_executions"][0].parent
    decision_load, tenant_load = (
        str(rows(url, f"select load_id from raw.loads where stream = '{stream}'")[0][0])
        for stream in ("routing_decisions", "tenants")
    )
    before = _figures(url)

    withdrawn = cli(cli_env, "loads", "withdraw", decision_load, "--reason", "replayed")
    assert withdrawn.returncode == 0, withdrawn.stderr
    [(live_tasks,)] = rows(url, "select count(*) from analytics.task_executions")
    assert live_tasks < len(before["task_executions"])
    assert cli(cli_env, "loads", "restore", decision_load).returncode == 0
    undone = cli(cli_env, "run", str(inbox))
    assert undone.returncode == 0, undone.stdout[-3000:] + undone.stderr[-2000:]
    assert _figures(url) == before

    for load in (decision_load, tenant_load):
        withdrawn = cli(cli_env, "loads", "withdraw", load, "--reason", "sent by mistake")
        assert withdrawn.returncode == 0, withdrawn.stderr
    published = cli(cli_env, "run", str(inbox))
    assert published.returncode == 0, published.stdout[-3000:] + published.stderr[-2000:]
    after_run = _figures(url)
    moved = [task for task in after_run["task_executions"] if task not in before["task_executions"]]
    assert len(moved) > len(before["task_executions"]) // 4, "the baselines did not move"
    rebuilt = cli(
        cli_env, "build", "--full-refresh", "--", "--exclude-resource-type", "test", "unit_test"
    )
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:] + rebuilt.stderr[-2000:]
    for table, published_rows in _figures(url).items():
        assert after_run[table] == published_rows, table
