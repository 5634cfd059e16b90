"""analytics.task_executions is partitioned by the UTC month of timestamp_start, and
staging.base_router__task_executions by landing month as raw is (macros/partitions/): a
table built before the partitioning becomes partitioned with the same rows, a late record
for an old month gets its month's partition without a manual step, a query of a time window
reads only its months through an index, a full refresh keeps the partitions' names, and
retention drops a month that ended before its horizon whole."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest
from conftest import WITHOUT_UNIT_TESTS, Warehouse, cli, plan_scans, rows

pytestmark = pytest.mark.integration

LATE_START = "2026-09-15T08:00:00Z"

ROWS_PER_MONTH = """
select child.relname, count(tasks.id)
from pg_catalog.pg_inherits as inheritance
inner join pg_catalog.pg_class as child on child.oid = inheritance.inhrelid
left join analytics.task_executions as tasks on tasks.tableoid = child.oid
where inheritance.inhparent = 'analytics.task_executions'::regclass
group by 1
order by 1
"""

MONTHS_AHEAD = """
select
    'task_executions_' || to_char(now() at time zone 'UTC', 'YYYY_MM'),
    'task_executions_' || to_char(now() at time zone 'UTC' + interval '1 month', 'YYYY_MM')
"""

# The key columns and uniqueness of each index of the partitioned task mart.
INDEX_KEYS = """
select string_agg(attribute.attname, ',' order by key.position), index.indisunique
from pg_catalog.pg_index as index
cross join unnest(index.indkey::int2[]) with ordinality as key (attnum, position)
inner join pg_catalog.pg_attribute as attribute
    on attribute.attrelid = index.indrelid and attribute.attnum = key.attnum
where index.indrelid = 'analytics.task_executions'::regclass
group by index.indexrelid, index.indisunique
"""

# The design document's 7.1 (this month's savings), as of a moment of the fixture's data.
SAVINGS_THIS_MONTH = """
select coalesce(sum(savings), 0)
from analytics.task_executions
where tenant_id = current_setting('app.tenant_id', true)
    and status = 'completed'
    and is_in_savings
    and timestamp_start >= date_trunc('month', timestamptz '2026-11-20 13:27:45+00')
"""


def as_an_older_version_left_it(url: str) -> None:
    """The mart as a plain table with the unique key it had before the partitioning."""
    with psycopg.connect(url) as conn:
        conn.execute("create table analytics.unpartitioned as table analytics.task_executions")
        conn.execute("drop table analytics.task_executions cascade")
        conn.execute("alter table analytics.unpartitioned rename to task_executions")
        conn.execute("create unique index on analytics.task_executions (tenant_id, id)")


def late_task(warehouse: Warehouse, folder: Path) -> tuple[str, Path]:
    """A valid task of the fixture's first tenant that started in September 2026."""
    with warehouse.generated.files["task_executions"][0].open() as lines:
        record = json.loads(next(lines))
    record.update(
        id=str(uuid.uuid4()),
        timestamp_start=LATE_START,
        timestamp_end="2026-09-15T08:00:10Z",
        duration_ms=10_000,
    )
    folder.mkdir()
    path = folder / "task_executions.jsonl"
    path.write_text(json.dumps(record) + "\n")
    return record["id"], path


def read_by_this_months_savings(url: str, tenant: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute("set local role analytics_reader")
        conn.execute("set local enable_seqscan = off")
        conn.execute("select set_config('app.tenant_id', %s, true)", (tenant,))
        [(plan,)] = conn.execute(f"explain (format json) {SAVINGS_THIS_MONTH}").fetchall()
    return plan_scans(plan[0]["Plan"])


def test_the_task_mart_is_partitioned_by_month_and_a_late_month_gets_its_partition(
    warehouse_copy: Warehouse, tmp_path: Path
) -> None:
    url, env = warehouse_copy.url, warehouse_copy.env
    tasks_before = rows(url, "select count(*) from analytics.task_executions")[0][0]
    as_an_older_version_left_it(url)
    late_id, late_file = late_task(warehouse_copy, tmp_path / "late")
    assert cli(env, "load", str(late_file)).returncode == 0

    built = cli(
        env,
        "build",
        "--",
        *WITHOUT_UNIT_TESTS,
        "--select",
        "+task_executions",
        "--indirect-selection",
        "cautious",
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]

    kind = "select relkind from pg_class where oid = %s::regclass"
    with psycopg.connect(url) as conn:
        for table in ("analytics.task_executions", "staging.base_router__task_executions"):
            assert conn.execute(kind, (table,)).fetchall() == [("p",)], table
    this_month, next_month = rows(url, MONTHS_AHEAD)[0]
    per_month = dict(rows(url, ROWS_PER_MONTH))
    # The fixture's tasks are of November 2026; no partition for October, which has none.
    assert set(per_month) == {
        "task_executions_2026_09", "task_executions_2026_11", this_month, next_month
    }  # fmt: skip
    assert per_month["task_executions_2026_09"] == 1
    assert per_month["task_executions_2026_11"] == tasks_before
    # Analysed (analyze_built): the new month, and the table that got it.
    assert rows(
        url,
        "select relname, reltuples from pg_class"
        " where relname in ('task_executions_2026_09', 'task_executions')"
        " and relnamespace = 'analytics'::regnamespace order by 1",
    ) == [("task_executions", tasks_before + 1), ("task_executions_2026_09", 1)]
    assert rows(url, "select id::text from analytics.task_executions_2026_09") == [(late_id,)]
    assert rows(
        url,
        "select indexdef from pg_indexes where schemaname = 'analytics'"
        " and tablename = 'task_executions' and indexdef like 'CREATE UNIQUE%'",
    ) == [
        (
            "CREATE UNIQUE INDEX task_executions_tenant_id_id_timestamp_start_idx ON ONLY"
            " analytics.task_executions USING btree (tenant_id, id, timestamp_start)",
        )
    ]

    # dbt makes a model's configured indexes only with a new table: every one of them is on
    # the table that replaced the older one (create_missing_indexes).
    manifest = json.loads((Path(env["DBT_TARGET_PATH"]) / "manifest.json").read_text())
    configured = manifest["nodes"]["model.routing_analytics.task_executions"]["config"]
    assert {
        (",".join(index["columns"]), bool(index.get("unique"))) for index in configured["indexes"]
    } == set(rows(url, INDEX_KEYS))

    # This month's savings read November (and the months ahead) through an index, never
    # September.
    tenant = rows(url, "select min(tenant_id) from analytics.task_executions")[0][0]
    read = read_by_this_months_savings(url, tenant)
    assert ("task_executions_2026_11", "Index Only Scan") in read or (
        "task_executions_2026_11",
        "Index Scan",
    ) in read, read
    assert all(relation != "task_executions_2026_09" for relation, _ in read), read
    assert all(node != "Seq Scan" for _, node in read), read


def test_a_full_refresh_keeps_the_partition_names_and_retention_drops_an_old_month_whole(
    warehouse_copy: Warehouse, tmp_path: Path
) -> None:
    url, env = warehouse_copy.url, warehouse_copy.env
    _, late_file = late_task(warehouse_copy, tmp_path / "late")
    assert cli(env, "load", str(late_file)).returncode == 0
    refreshed = cli(
        env, "build", "--full-refresh", "--", *WITHOUT_UNIT_TESTS,
        "--select", "+task_executions", "--exclude-resource-type", "test",
    )  # fmt: skip
    assert refreshed.returncode == 0, refreshed.stdout[-4000:] + refreshed.stderr[-2000:]
    per_month = dict(rows(url, ROWS_PER_MONTH))
    assert per_month["task_executions_2026_09"] == 1
    leftovers = (
        "select count(*) from pg_class"
        " where relname like '%\\_\\_dbt\\_%' and relkind in ('r', 'p')"
    )
    assert rows(url, leftovers) == [(0,)]

    # Detail kept from 2026-10-02: September ended before it and goes whole.
    retained = cli(
        env, "retention", "--as-of", "2026-11-01T00:00:00Z",
        "--detail-days", "30", "--aggregate-days", "400",
    )  # fmt: skip
    assert retained.returncode == 0, retained.stdout + retained.stderr
    after = dict(rows(url, ROWS_PER_MONTH))
    assert "task_executions_2026_09" not in after
    assert after["task_executions_2026_11"] == per_month["task_executions_2026_11"]
    removed = rows(
        url,
        "select rows_removed ->> 'analytics.task_executions' from retention.runs"
        " order by run_id desc limit 1",
    )
    assert removed == [("1",)]
