"""Landing files into raw: counts reconcile, bad lines are quarantined, nothing lands twice."""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from loader.landing import LoadResult, load_file
from loader.privacy import Pseudonymiser
from loader.raw_schema import apply_raw_ddl
from loader.streams import STREAMS
from routing_analytics.platform.errors import UserError

pytestmark = pytest.mark.integration

GOOD = b'{"id":"a0000000-0000-4000-8000-%012d","tenant_id":"t1","metadata":{"editor":"vim"}}'


def good_lines(count: int, start: int = 0) -> list[bytes]:
    return [GOOD % number for number in range(start, start + count)]


def write(path: Path, lines: list[bytes], *, end: bytes = b"\n") -> Path:
    path.write_bytes(b"\n".join(lines) + end)
    return path


def land(
    conn: psycopg.Connection,
    path: Path,
    pseudonymiser: Pseudonymiser,
    stream: str = "task_executions",
) -> LoadResult:
    apply_raw_ddl(conn)
    return load_file(conn, path, STREAMS[stream], pseudonymiser)


def count(conn: psycopg.Connection, query: str, *params: object) -> int:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def test_every_line_is_landed_or_quarantined_with_its_reason(conn, tmp_path, pseudonymiser):
    lines = [
        *good_lines(3),
        b"not json",
        b"[1, 2]",
        b"",
        b'{"a": "\\u0000"}',
        b'{"a": "\\ud800"}',
        b"\xff\xfe{}",
        b'{"id": "x", "n": 123456789012345678901234567890}',
    ]
    result = land(conn, write(tmp_path / "task_executions_mixed.jsonl", lines), pseudonymiser)

    assert (result.lines_read, result.rows_landed, result.rows_quarantined) == (10, 4, 6)
    assert count(conn, "select count(*) from raw.task_executions") == 4
    reasons = dict(
        conn.execute("select _line_number, reason from raw.quarantined_lines order by 1").fetchall()
    )
    assert reasons[4].startswith("not valid JSON")
    assert reasons[5] == "not a JSON object (a JSON array)"
    assert reasons[6] == "blank line"
    assert "\\u0000" in reasons[7]
    assert "surrogate" in reasons[8]
    assert reasons[9] == "invalid UTF-8 at byte 0"
    originals = conn.execute(
        "select raw_text, raw_bytes from raw.quarantined_lines where _line_number in (4, 9)"
        " order by _line_number"
    ).fetchall()
    assert originals == [("not json", None), (None, b"\xff\xfe{}")]
    lineage = conn.execute(
        "select _load_id, _source_file, min(_line_number), max(_line_number)"
        " from raw.task_executions group by 1, 2"
    ).fetchall()
    assert lineage == [(result.load_id, "task_executions_mixed.jsonl", 1, 10)]
    load = conn.execute(
        "select status, lines_read, rows_landed, rows_quarantined, file_sha256"
        " from raw.loads where load_id = %s",
        (result.load_id,),
    ).fetchone()
    assert load[:4] == ("succeeded", 10, 4, 6)
    assert len(load[4]) == 64


def test_numbers_keep_every_digit(conn, tmp_path, pseudonymiser):
    # The second record is re-written (its metadata is scrubbed): digits must survive that too.
    lines = [
        b'{"id": "1", "cost_actual": 0.0123456789012345678, "metadata": {}}',
        b'{"id": "2", "cost_actual": 0.0123456789012345678, "metadata": {"file": "x"}}',
    ]
    land(conn, write(tmp_path / "task_executions_exact.jsonl", lines), pseudonymiser)
    costs = conn.execute(
        "select record->>'cost_actual' from raw.task_executions order by _line_number"
    ).fetchall()
    assert costs == [("0.0123456789012345678",), ("0.0123456789012345678",)]


def test_same_content_twice_changes_nothing(conn, tmp_path, pseudonymiser):
    first_file = write(tmp_path / "task_executions_a.jsonl", good_lines(5))
    first = land(conn, first_file, pseudonymiser)
    again = land(conn, first_file, pseudonymiser)
    renamed = tmp_path / "task_executions_renamed.jsonl"
    renamed.write_bytes(first_file.read_bytes())
    copy = land(conn, renamed, pseudonymiser)

    assert first.status == "succeeded"
    assert again.status == copy.status == "skipped"
    assert (
        again.message
        == f"skipped: this content was already loaded successfully (load {first.load_id})"
    )
    assert count(conn, "select count(*) from raw.task_executions") == 5
    assert count(conn, "select count(*) from raw.loads where status = 'succeeded'") == 1


def test_concurrent_loads_of_one_file_land_it_once(database_url, tmp_path, pseudonymiser):
    path = write(tmp_path / "task_executions_race.jsonl", good_lines(20_000))
    results: list[LoadResult] = []

    def load_once() -> None:
        with psycopg.connect(database_url, autocommit=True) as own:
            results.append(land(own, path, pseudonymiser))

    threads = [threading.Thread(target=load_once) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(result.status for result in results) == ["skipped", "skipped", "succeeded"]
    with psycopg.connect(database_url) as check:
        assert count(check, "select count(*) from raw.task_executions") == 20_000


def test_killed_load_leaves_nothing_and_a_rerun_completes_it(conn, cli_env, tmp_path):
    path = write(tmp_path / "task_executions_big.jsonl", good_lines(400_000))
    loader = subprocess.Popen(
        [sys.executable, "-m", "routing_analytics", "load", str(path)],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_copy_in_progress(conn)
        os.kill(loader.pid, signal.SIGKILL)
    finally:
        loader.wait()
    _wait_for_backends_to_leave(conn)

    assert count(conn, "select count(*) from raw.task_executions") == 0
    assert count(conn, "select count(*) from raw.loads where status = 'running'") == 1

    rerun = subprocess.run(
        [sys.executable, "-m", "routing_analytics", "load", str(path)],
        env=cli_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert count(conn, "select count(*) from raw.task_executions") == 400_000
    statuses = conn.execute("select status from raw.loads order by load_id").fetchall()
    assert statuses == [("interrupted",), ("succeeded",)]


def _wait_for_copy_in_progress(conn: psycopg.Connection) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if count(
            conn,
            "select count(*) from pg_stat_progress_copy"
            " where datname = current_database() and tuples_processed > 0",
        ):
            return
        time.sleep(0.02)
    pytest.fail("the loader never started copying")


def _wait_for_backends_to_leave(conn: psycopg.Connection) -> None:
    deadline = time.monotonic() + 30
    # The view is server-wide: other test databases copy on the same server.
    while count(
        conn, "select count(*) from pg_stat_progress_copy where datname = current_database()"
    ):
        if time.monotonic() > deadline:
            pytest.fail("the killed loader's COPY never ended")
        time.sleep(0.05)


def test_gzip_lands_like_plain(conn, tmp_path, pseudonymiser):
    lines = good_lines(100)
    path = tmp_path / "task_executions_z.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    result = land(conn, path, pseudonymiser)
    assert (result.rows_landed, result.rows_quarantined) == (100, 0)


def test_line_endings_and_byte_order_mark(conn, tmp_path, pseudonymiser):
    content = b"\xef\xbb\xbf" + b"\r\n".join(good_lines(3))  # no final newline either
    path = tmp_path / "task_executions_crlf.jsonl"
    path.write_bytes(content)
    result = land(conn, path, pseudonymiser)
    assert (result.lines_read, result.rows_landed) == (3, 3)


def test_csv_rows_land_and_short_rows_are_quarantined(conn, tmp_path, pseudonymiser):
    path = tmp_path / "tenants.csv"
    path.write_bytes(
        b"tenant_id,default_provider,default_model,plan,created_at\n"
        b"t1,openai,gpt-4o-mini,pro,2026-01-01T00:00:00Z\n"
        b"t2,anthropic\n"
        b't3,google,"gemini, flash",free,2026-01-02T00:00:00Z\n'
    )
    result = land(conn, path, pseudonymiser, stream="tenants")
    assert (result.lines_read, result.rows_landed, result.rows_quarantined) == (3, 2, 1)
    models = conn.execute(
        "select record->>'default_model' from raw.tenants order by _line_number"
    ).fetchall()
    assert models == [("gpt-4o-mini",), ("gemini, flash",)]
    reason = conn.execute("select _line_number, reason from raw.quarantined_lines").fetchone()
    assert reason == (3, "CSV row has 2 fields, the header has 5")


def test_csv_without_required_columns_fails_and_lands_nothing(conn, tmp_path, pseudonymiser):
    path = tmp_path / "tenants_bad.csv"
    path.write_bytes(b"tenant,plan\nt1,pro\n")
    with pytest.raises(UserError, match="CSV header lacks tenant_id, default_provider"):
        land(conn, path, pseudonymiser, stream="tenants")
    assert count(conn, "select count(*) from raw.tenants") == 0
    status = conn.execute("select status, message from raw.loads").fetchone()
    assert status[0] == "failed"
    assert "tenant_id" in status[1]


@pytest.mark.parametrize(
    ("mangle", "name"),
    [
        (lambda data: data[: len(data) // 2], "truncated"),
        (lambda data: data[:20] + b"\x00" * 40 + data[60:], "corrupt"),
        (lambda _: b"this is not gzip at all", "not_gzip"),
    ],
)
def test_broken_gzip_fails_the_file_and_lands_nothing(conn, tmp_path, pseudonymiser, mangle, name):
    path = tmp_path / f"task_executions_{name}.jsonl.gz"
    # Enough lines that a stream cut in half still gives several read chunks before it breaks.
    lines = good_lines(100_000 if name == "truncated" else 2_000)
    path.write_bytes(mangle(gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1)))
    with pytest.raises(UserError, match=r"cannot read the file.*nothing of it was landed") as error:
        land(conn, path, pseudonymiser)
    # Where it broke: a truncated stream after the lines it still gave.
    where = re.search(r"(after line (\d+)|before its first line)", str(error.value))
    assert where is not None, error.value
    if name == "truncated":
        assert where.group(2) is not None and int(where.group(2)) > 0
    if name == "not_gzip":
        assert where.group(1) == "before its first line"
    assert count(conn, "select count(*) from raw.task_executions") == 0
    assert count(conn, "select count(*) from raw.quarantined_lines") == 0
    assert conn.execute("select status from raw.loads").fetchall() == [("failed",)]


def test_hostile_lines_are_quarantined_or_landed_and_never_stop_the_file(
    conn, tmp_path, pseudonymiser
):
    """Deep nesting, carriage returns between tokens and numbers beyond PostgreSQL's numeric
    once failed the whole file (RecursionError, COPY 22P04, 22003); each is one line now."""
    deep = b'{"id": "d", "metadata": {"a": ' + b"[" * 600 + b"]" * 600 + b"}}"
    deeper = b'{"id": "e", "metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    lines = [
        *good_lines(2),
        deep,
        deeper,
        b'{"id": "cr",\r"tenant_id": "t1"}',
        b'{"id": "crcr", "tenant_id": "t1"}\r',
        b'{"id": "huge", "cost_actual": 1e200000}',
        b'{"id": "tiny", "cost_actual": 1e-20000}',
        b'{"id": "long", "cost_actual": 1' + b"0" * 200_000 + b"}",
        b'{"id": "big", "cost_actual": 1e400, "user_id": "someone"}',
        b'{"id": "exact", "cost_actual": 0.1' + b"0" * 5000 + b"1}",
    ]
    path = write(tmp_path / "task_executions_hostile.jsonl", lines, end=b"\r\r\n")
    result = land(conn, path, pseudonymiser)

    assert result.lines_read == len(lines)
    assert result.rows_landed + result.rows_quarantined == result.lines_read
    reasons = dict(
        conn.execute("select _line_number, reason from raw.quarantined_lines order by 1").fetchall()
    )
    assert reasons == {
        3: "nested deeper than 32 levels",
        4: "not valid JSON: nested too deeply",
        7: "a number PostgreSQL cannot store (more than 131072 digits before or 16383 after"
        " the point)",
        8: "a number PostgreSQL cannot store (more than 131072 digits before or 16383 after"
        " the point)",
        9: "a number PostgreSQL cannot store (more than 131072 digits before or 16383 after"
        " the point)",
    }
    landed = dict(
        conn.execute(
            "select record->>'id', record->>'cost_actual' from raw.task_executions"
        ).fetchall()
    )
    assert set(landed) == {
        "a0000000-0000-4000-8000-000000000000",
        "a0000000-0000-4000-8000-000000000001",
        "cr",
        "crcr",
        "big",
        "exact",
    }
    # Every digit survives the re-writing; 1e400 is a number numeric holds.
    assert landed["exact"] == "0.1" + "0" * 5000 + "1"
    assert landed["big"] == "1" + "0" * 400


def test_a_file_name_keeps_no_e_mail_or_ip_address(conn, tmp_path, pseudonymiser):
    for name in ("task_executions_alice@example.com.jsonl", "task_executions_10.0.0.1.jsonl"):
        land(conn, write(tmp_path / name, good_lines(1)), pseudonymiser)
    names = [name for (name,) in conn.execute("select source_file from raw.loads order by 1")]
    assert names == ["<email>", "task_executions_<ip>.jsonl"]
    stored = conn.execute("select string_agg(_source_file, ' ') from raw.task_executions")
    assert "@" not in stored.fetchone()[0]
