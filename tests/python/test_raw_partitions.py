"""raw.task_executions is partitioned by landing month (loader/ddl/raw.sql): a load finds its
month's partition or makes it, a warehouse from before keeps every row, every partition is
append-only, and retention drops a month that holds only forgotten rows."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import psycopg
import pytest
from conftest import WITHOUT_UNIT_TESTS, built_database, cli, rows

from loader.raw_schema import apply_raw_ddl
from routing_analytics.tools.generate import GenerateOptions, generate

pytestmark = pytest.mark.integration

PARTITIONS = """
select child.relname, pg_get_expr(child.relpartbound, child.oid)
from pg_inherits as inheritance
inner join pg_class as child on child.oid = inheritance.inhrelid
where inheritance.inhparent = %s::regclass
order by 1
"""
ROWS_PER_PARTITION = """
select tableoid::regclass::text, count(*) from raw.task_executions group by 1 order by 1
"""
THIS_MONTH = "task_executions_' || to_char(now() at time zone 'UTC', 'YYYY_MM') || '"


def small_data(folder: Path, executions: int = 200) -> Path:
    out = folder / "data"
    generate(
        GenerateOptions(
            out_dir=out, tenants=2, days=4, executions=executions, seed=3,
            end_date=date(2026, 11, 20),
        )
    )  # fmt: skip
    return out


def partition_names(url: str, table: str = "raw.task_executions") -> list[str]:
    with psycopg.connect(url) as conn:
        return [name for name, _ in conn.execute(PARTITIONS, (table,)).fetchall()]


def this_month(url: str) -> str:
    return rows(url, f"select '{THIS_MONTH}'")[0][0]


def test_a_load_lands_in_its_landing_month_whatever_the_tasks_dates(
    database_url: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    loaded = cli(cli_env, "load", str(small_data(tmp_path)))
    assert loaded.returncode == 0, loaded.stderr
    # Tasks of November 2026, landed now: all in the partition of this month.
    assert rows(database_url, ROWS_PER_PARTITION) == [(f"raw.{this_month(database_url)}", 200)]
    names = partition_names(database_url)
    assert this_month(database_url) in names
    assert len([name for name in names if re.fullmatch(r"task_executions_\d{4}_\d{2}", name)]) == 2
    assert len([name for name in names if "_before_" in name]) == 1
    with psycopg.connect(database_url) as conn:
        for name in names:
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(f"delete from raw.{name}")
            conn.rollback()


BRIN_INDEXES = """
select index_class.oid::regclass::text
from pg_index as index
inner join pg_class as index_class on index_class.oid = index.indexrelid
inner join pg_am as access_method on access_method.oid = index_class.relam
where access_method.amname = 'brin' and index_class.relkind = 'i'
  and index_class.relnamespace = 'raw'::regnamespace
order by 1
"""


def test_a_load_leaves_no_brin_range_of_raw_unsummarized(
    database_url: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Readers bound their reads of raw by _loaded_at through BRIN indexes, which return every
    range not yet summarized: each landing summarizes what it filled, so that nothing is left
    to autovacuum (brin_summarize_new_values finds no range to summarize). 3,000 tasks fill
    more than one range of task_executions (128 pages); a last, partial range is never
    summarized, and a BRIN scan always reads it."""
    loaded = cli(cli_env, "load", str(small_data(tmp_path, executions=3_000)))
    assert loaded.returncode == 0, loaded.stderr
    indexes = [name for (name,) in rows(database_url, BRIN_INDEXES)]
    assert f"raw.{this_month(database_url)}__loaded_at_idx" in indexes
    with psycopg.connect(database_url) as conn:
        left = {
            name: conn.execute("select brin_summarize_new_values(%s::regclass)", (name,)).fetchone()
            for name in indexes
        }
    assert left == dict.fromkeys(indexes, (0,))


def test_a_month_without_its_partition_gets_one_at_the_next_load(
    database_url: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        apply_raw_ddl(conn)
        for name in partition_names(database_url):
            if "_before_" not in name:
                conn.execute(f"drop table raw.{name}")
    assert len(partition_names(database_url)) == 1
    loaded = cli(cli_env, "load", str(small_data(tmp_path)))
    assert loaded.returncode == 0, loaded.stderr
    assert rows(database_url, ROWS_PER_PARTITION) == [(f"raw.{this_month(database_url)}", 200)]
    assert rows(database_url, "select count(*) from raw.loads where status = 'succeeded'")[0][0] > 1


def test_a_warehouse_from_before_the_partitioning_keeps_every_row(
    database_url: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The table of an earlier version becomes the partition of the months before."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """
            create schema raw;
            create table raw.task_executions (
                _load_id bigint not null,
                _source_file text not null,
                _line_number bigint not null,
                _loaded_at timestamptz not null default now(),
                record jsonb not null
            );
            create index task_executions_loaded_at_brin on raw.task_executions
                using brin (_loaded_at);
            insert into raw.task_executions values
                (0, 'old', 1, '2025-01-31 23:59:59+00', '{"id": "a"}'),
                (0, 'old', 2, now(), '{"id": "b"}');
            """
        )
        apply_raw_ddl(conn)
    loaded = cli(cli_env, "load", str(small_data(tmp_path)))
    assert loaded.returncode == 0, loaded.stderr
    assert rows(
        database_url, "select relkind from pg_class where oid = 'raw.task_executions'::regclass"
    ) == [("p",)]
    per_partition = dict(rows(database_url, ROWS_PER_PARTITION))
    history = [name for name in per_partition if "_before_" in name]
    assert len(history) == 1 and per_partition[history[0]] == 200 + 2
    assert rows(
        database_url, "select count(*) from raw.task_executions where _source_file = 'old'"
    ) == [(2,)]


def test_retention_drops_a_landing_month_only_when_all_of_it_is_forgotten(
    server_url: str, tmp_path: Path
) -> None:
    options = GenerateOptions(
        out_dir=tmp_path / "data", tenants=2, days=4, executions=400, seed=3,
        end_date=date(2026, 11, 20),
    )  # fmt: skip
    with built_database(server_url, tmp_path, options) as built:
        url = built.url
        with psycopg.connect(url) as conn:
            conn.execute("set routing_analytics.maintenance = 'on'")
            # Every task landed on 2026-11-25, as if loaded then (the partition of the months
            # before the first monthly one)...
            moved = conn.execute(
                "update raw.task_executions set _loaded_at = '2026-11-25 00:00+00'"
            ).rowcount
            # ...and one more landing of that month that no build has staged yet.
            conn.execute(
                """
                insert into raw.task_executions
                    (_load_id, _source_file, _line_number, _loaded_at, record)
                select 0, 'late', 1, '2026-11-25 00:00+00',
                    jsonb_set(record, '{id}', '"0c0c0c0c-0000-4000-8000-000000000001"')
                from raw.task_executions
                limit 1
                """
            )
        [history] = [name for name in partition_names(url) if "_before_" in name]
        assert rows(url, f"select count(*) from raw.{history}") == [(moved + 1,)]
        # Detail kept from tomorrow: every staged task is old.
        as_of = rows(url, "select to_char(now() + interval '2 days', 'YYYY-MM-DD')")[0][0]

        def retain() -> int:
            result = cli(
                built.env, "retention", "--as-of", f"{as_of}T00:00:00Z",
                "--detail-days", "1", "--aggregate-days", "400",
            )  # fmt: skip
            assert result.returncode == 0, result.stdout + result.stderr
            removed = rows(
                url,
                "select rows_removed ->> 'raw.task_executions' from retention.runs"
                " order by run_id desc limit 1",
            )
            return int(removed[0][0])

        # The unstaged row is not forgotten (nothing knows its task yet): the month stays,
        # its forgotten rows go one by one.
        assert retain() == moved
        assert rows(url, f"select _source_file from raw.{history}") == [("late",)]
        # Once staged (load 0 is no load of raw.loads: only a full build reads it), its task
        # is old too: the month holds only forgotten rows and is
        # dropped whole, its row counted.
        built_again = cli(built.env, "build", "--full-refresh", "--", *WITHOUT_UNIT_TESTS)
        assert built_again.returncode == 0, built_again.stdout[-3000:]
        assert retain() == 1
        assert history not in partition_names(url)
        assert rows(url, "select count(*) from raw.task_executions") == [(0,)]
        # The staging base table is partitioned by landing month too: its November goes whole.
        assert rows(url, "select count(*) from staging.base_router__task_executions") == [(0,)]
        assert "base_router__task_executions_2026_11" not in partition_names(
            url, "staging.base_router__task_executions"
        )
