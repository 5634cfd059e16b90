"""The corpus of hostile files (tests/hostile/) next to a normal batch: every line accounted
for, no traceback, each file within a time bound, nothing sensitive stored, and the run
publishes (issue 10)."""

from __future__ import annotations

import json
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import cli, rows

from routing_analytics.tools.generate import GenerateOptions, generate

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).resolve().parent.parent / "hostile"
BAIT = (
    "alice@example.com",
    "192.168.1.20",
    "203.0.113.9",
    "carol@example.com",
    "sk-AAAAAAAAAAAAAAAAAAAA",
    "/home/eve",
    "etc/passwd",
    "example.com",
    "\u043e",
)


def _big_hostile_file(path: Path) -> None:
    """Megabytes that once stalled the loader, generated here rather than kept in git."""
    base = {
        "tenant_id": "tenant_0001",
        "task_type": "bug_fix",
        "status": "failed",
        "timestamp_start": "2026-11-19T11:00:00Z",
        "timestamp_end": "2026-11-19T11:00:01Z",
    }
    records = [
        {**base, "id": "f0000000-0000-4000-8000-000000000001", "error_message": "a" * 4_000_000},
        {**base, "id": "f0000000-0000-4000-8000-000000000002", "metadata": {"x": "aB3+" * 750_000}},
    ]
    lines = [json.dumps(record).encode() for record in records]
    lines.append(
        b'{"id": "f0000000-0000-4000-8000-000000000003", "cost_actual": 1' + b"0" * 200_000 + b"}"
    )
    path.write_bytes(b"\n".join(lines) + b"\n")


def test_the_hostile_corpus_is_accounted_for_and_the_next_run_publishes(cli_env, tmp_path):
    url = cli_env["ANALYTICS_DATABASE_URL"]
    inbox = tmp_path / "inbox"
    generate(
        GenerateOptions(
            out_dir=inbox, tenants=3, days=2, executions=1_500, seed=9, end_date=date(2026, 11, 20)
        )
    )
    for path in CORPUS.glob("*.jsonl"):
        shutil.copy(path, inbox / path.name)
    _big_hostile_file(inbox / "task_executions_big_hostile.jsonl")

    corrupt = cli(cli_env, "load", str(CORPUS / "routing_decisions_hostile.jsonl.gz"))
    assert corrupt.returncode == 2
    assert "Traceback" not in corrupt.stderr
    assert len(corrupt.stderr.strip().splitlines()) == 1, corrupt.stderr

    started = time.monotonic()
    published = cli(cli_env, "run", str(inbox))
    elapsed = time.monotonic() - started
    assert published.returncode == 0, published.stdout[-3000:] + published.stderr[-3000:]
    assert "Traceback" not in published.stdout + published.stderr
    seconds = dict(
        rows(
            url,
            "select source_file, extract(epoch from finished_at - started_at) from raw.loads"
            " where status = 'succeeded'",
        )
    )
    assert all(value < 30 for value in seconds.values()), seconds
    assert elapsed < 900
    unbalanced = rows(
        url,
        "select source_file from raw.loads where status = 'succeeded'"
        " and lines_read <> rows_landed + rows_quarantined",
    )
    assert unbalanced == []
    stored = rows(
        url,
        "select string_agg(record::text, ' ') from (select record from raw.task_executions"
        " union all select record from raw.usage_events) as landed",
    )[0][0]
    for bait in BAIT:
        assert bait not in stored, bait
    # Nothing hostile is published: only the generated batch's tasks, no date past the data.
    # Published from the corpus: only the two valid tasks whose metadata and error message
    # were cleaned at the edge.
    hostile_published = rows(
        url,
        "select cast(id as text), error_message from analytics.task_executions"
        " where cast(id as text) like 'd0000000%' or cast(id as text) like 'f0000000%'"
        " order by 1",
    )
    assert hostile_published == [
        ("d0000000-0000-4000-8000-000000000013", None),
        ("d0000000-0000-4000-8000-000000000014", "failed for <secret> at <path>"),
    ]
    assert rows(url, "select max(date) <= date '2026-11-21' from analytics.usage_analytics") == [
        (True,)
    ]
