"""End to end on fixture data: generate with faults, load, dbt build, and check the results.

dbt build runs the seeds, the models, every data test (including the reconciliation of
raw = staged + rejected + duplicates) and the dbt unit tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest

from loader.generate import GenerateOptions, GenerateResult, generate
from loader.throwaway import throwaway_database

pytestmark = pytest.mark.integration

PRIVACY_BAIT = (
    "secret-project",
    "jane.doe@example.com",
    "m.lopez@example.org",
    "mlopez",
    "/Users/jane",
    "sk-live-abc123",
    "Xy7Qm2LpN8vR4tZk",
    "payroll",
    "salary rounding",
    "def foo()",
    "failing login test",
)


@dataclass(frozen=True)
class Warehouse:
    url: str
    generated: GenerateResult
    env: dict[str, str]


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loader", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def warehouse(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    folder = tmp_path_factory.mktemp("warehouse")
    generated = generate(
        GenerateOptions(
            out_dir=folder / "data",
            tenants=4,
            days=4,
            executions=6_000,
            seed=11,
            end_date=date(2026, 11, 20),
            faults=True,
        )
    )
    with throwaway_database(server_url) as url:
        env = {
            **os.environ,
            "ANALYTICS_DATABASE_URL": url,
            "ANALYTICS_STATE_DIR": str(folder / "state"),
        }
        loaded = cli(env, "load", str(folder / "data"))
        assert loaded.returncode == 0, loaded.stderr
        land_by_hand(url, generated.files["task_executions"][0])
        built = cli(env, "build", "--full-refresh")
        assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]
        yield Warehouse(url=url, generated=generated, env=env)


HAND_LANDED_ID = "0b0b0b0b-0000-4000-8000-000000000001"
HAND_LANDED_BAIT = ("/srv/handmade", "ops@handmade.example", "sk-handmade0123456789abcdef")


def land_by_hand(url: str, task_file: Path) -> None:
    """A valid task written straight into raw, as an older loader or a person might have."""
    with task_file.open("rb") as lines:
        record = json.loads(next(lines))
    record.update(
        id=HAND_LANDED_ID,
        status="failed",
        error_message="crash in /srv/handmade/y.py, key sk-handmade0123456789abcdef",
        metadata={
            "editor": "vim",
            "file_path": "/srv/handmade/x.py",
            "note": "ping ops@handmade.example",
        },
    )
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into raw.task_executions (_load_id, _source_file, _line_number, record)"
            " values (0, 'by-hand', 1, %s)",
            (json.dumps(record),),
        )


def rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def test_every_generated_line_is_landed_or_quarantined(warehouse):
    per_stream = dict(
        rows(
            warehouse.url,
            """
        select stream, sum(lines_read) from raw.loads where status = 'succeeded' group by 1
    """,
        )
    )
    assert per_stream == {stream: count for stream, count in warehouse.generated.counts.items()}
    assert rows(
        warehouse.url,
        """
        select count(*) from raw.loads
        where status = 'succeeded' and lines_read <> rows_landed + rows_quarantined
    """,
    ) == [(0,)]


def test_every_stream_reconciles(warehouse):
    reconciliation = rows(
        warehouse.url,
        """
        select stream, raw_rows, staged_rows, rejected_rows, duplicate_rows, is_reconciled
        from staging.stg_router__stream_reconciliation order by stream
    """,
    )
    assert len(reconciliation) == 5
    for stream, raw, staged, rejected, duplicates, reconciled in reconciliation:
        assert raw == staged + rejected + duplicates, stream
        assert reconciled, stream
        assert staged > 0, stream


def test_injected_faults_are_rejected_with_their_reason(warehouse):
    reasons = {
        reason
        for (reason,) in rows(
            warehouse.url,
            """
        select distinct unnest(rejection_reasons) from staging.stg_router__rejected_records
    """,
        )
    }
    expected = {
        "unknown_task_type",
        "unknown_status",
        "unknown_provider",
        "end_before_start",
        "negative_tokens",
        "cache_exceeds_input",
        "invalid_cost_actual",
        "duration_mismatch",
    }
    assert expected <= reasons
    duplicates = rows(
        warehouse.url,
        "select duplicate_rows from staging.stg_router__stream_reconciliation"
        " where stream = 'task_executions'",
    )
    assert duplicates == [(repeated_ids(warehouse.generated.files["task_executions"]),)]


def repeated_ids(files: list[Path]) -> int:
    """Lines whose record id was already seen: counted from the input files, not the DB."""
    seen: Counter[str] = Counter()
    for path in files:
        for line in path.read_bytes().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                seen[record["id"]] += 1
    return sum(count - 1 for count in seen.values())


STORED_TEXT_COLUMNS = """
    select namespace.nspname, relation.relname, attribute.attname
    from pg_catalog.pg_attribute as attribute
    inner join pg_catalog.pg_class as relation on relation.oid = attribute.attrelid
    inner join pg_catalog.pg_namespace as namespace on namespace.oid = relation.relnamespace
    where relation.relkind in ('r', 'p', 'm')
      and namespace.nspname = any(%s)
      and attribute.attnum > 0 and not attribute.attisdropped
      and attribute.atttypid in ('text'::regtype, 'varchar'::regtype, 'json'::regtype,
                                 'jsonb'::regtype, 'text[]'::regtype, 'bytea'::regtype)
"""


def stored_occurrences(
    url: str, needles: tuple[str, ...], schemas: list[str], skip: tuple[str, ...] = ()
) -> list[str]:
    """Every stored column (tables and materialized views: views store nothing) in `schemas`
    that holds any of `needles`, as schema.table.column."""
    found = []
    with psycopg.connect(url) as conn:
        columns = conn.execute(STORED_TEXT_COLUMNS, (schemas,)).fetchall()
        assert len(columns) > 10
        for schema, table, column in columns:
            if f"{schema}.{table}" in skip:
                continue
            holds = " or ".join(f'position(%s in "{column}"::text) > 0' for _ in needles)
            # names come from the catalog, values are parameters
            if conn.execute(
                f'select 1 from "{schema}"."{table}" where {holds} limit 1', needles
            ).fetchone():
                found.append(f"{schema}.{table}.{column}")
    return found


def all_schemas(url: str) -> list[str]:
    return [
        name
        for (name,) in rows(
            url,
            """
        select nspname from pg_catalog.pg_namespace
        where nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
    """,
        )
    ]


def test_no_privacy_bait_is_stored_outside_the_quarantine(warehouse):
    schemas = all_schemas(warehouse.url)
    assert {"raw", "staging"} <= set(schemas)
    assert (
        stored_occurrences(warehouse.url, PRIVACY_BAIT, schemas, skip=("raw.quarantined_lines",))
        == []
    )


def test_staging_scrubs_records_that_bypassed_the_loader(warehouse):
    staged = rows(
        warehouse.url,
        f"""
        select metadata, error_message from staging.stg_router__task_executions
        where task_execution_id = '{HAND_LANDED_ID}'
    """,
    )
    assert staged == [({"editor": "vim"}, "crash in <path> key <secret>")]
    later_schemas = [schema for schema in all_schemas(warehouse.url) if schema != "raw"]
    assert stored_occurrences(warehouse.url, HAND_LANDED_BAIT, later_schemas) == []
    # The scanner does find the bait where it is stored: in raw, landed by hand.
    assert stored_occurrences(warehouse.url, HAND_LANDED_BAIT, ["raw"]) == [
        "raw.task_executions.record"
    ]


def test_loading_the_same_files_again_changes_nothing(warehouse):
    before = rows(
        warehouse.url,
        "select stream, raw_rows from staging.stg_router__stream_reconciliation order by 1",
    )
    again = cli(
        warehouse.env,
        "load",
        "--json",
        str(Path(warehouse.env["ANALYTICS_STATE_DIR"]).parent / "data"),
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.count('"status":"skipped"') == sum(
        len(files) for files in warehouse.generated.files.values()
    )
    after = rows(
        warehouse.url,
        "select stream, raw_rows from staging.stg_router__stream_reconciliation order by 1",
    )
    assert after == before
