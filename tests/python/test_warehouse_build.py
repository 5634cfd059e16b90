"""End to end on fixture data: generate with faults, load, dbt build, and check the results.

dbt build runs the seeds, the models, every data test (including the reconciliation of
raw = staged + rejected + duplicates) and the dbt unit tests.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import yaml
from conftest import HAND_LANDED_BAIT, HAND_LANDED_ID, cli, rows

from routing_analytics.operations.changed_rows import CHANGED_SINCE_VAR
from routing_analytics.warehouse import relations

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
        from int.int_stream_reconciliation order by stream
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
        select distinct unnest(rejection_reasons) from int.int_rejected_records
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
        "select duplicate_rows from int.int_stream_reconciliation where stream = 'task_executions'",
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
      and not relation.relispartition  -- read through its partitioned table
      and namespace.nspname = any(%s)
      and attribute.attnum > 0 and not attribute.attisdropped
      and attribute.atttypid in ('text'::regtype, 'varchar'::regtype, 'json'::regtype,
                                 'jsonb'::regtype, 'text[]'::regtype, 'bytea'::regtype)
    order by namespace.nspname, relation.relname, attribute.attnum
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
        "select stream, raw_rows from int.int_stream_reconciliation order by 1",
    )
    again = cli(
        warehouse.env,
        "load",
        "--json",
        str(warehouse.generated.files["task_executions"][0].parent),
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.count('"status":"skipped"') == sum(
        len(files) for files in warehouse.generated.files.values()
    )
    after = rows(
        warehouse.url,
        "select stream, raw_rows from int.int_stream_reconciliation order by 1",
    )
    assert after == before


def test_every_published_relation_and_column_is_described_in_the_catalog(warehouse):
    """An analyst's `\\d+ analytics.task_executions` shows what each column means: the yml
    descriptions are persisted as catalog comments (persist_docs), for every relation of the
    published schemas, found from the catalog (a monthly partition is its table's storage,
    described by its table)."""
    undocumented = rows(
        warehouse.url,
        """
        select class.relname, attribute.attname
        from pg_catalog.pg_class as class
        inner join pg_catalog.pg_attribute as attribute
            on attribute.attrelid = class.oid and attribute.attnum > 0
            and not attribute.attisdropped
        where class.relnamespace = 'analytics'::regnamespace
          and class.relkind in ('r', 'p', 'v', 'm')
          and not class.relispartition
          and coalesce(col_description(class.oid, attribute.attnum), '') = ''
        order by 1, 2
        """,
    )
    assert undocumented == []
    relations = rows(
        warehouse.url,
        """
        select class.relname, coalesce(obj_description(class.oid, 'pg_class'), '') <> ''
        from pg_catalog.pg_class as class
        where class.relnamespace = 'analytics'::regnamespace
          and class.relkind in ('r', 'p', 'v', 'm')
          and not class.relispartition
        order by 1
        """,
    )
    assert len(relations) >= 8
    assert [name for name, described in relations if not described] == []


def test_every_relation_python_names_is_built_by_a_dbt_model(warehouse, tmp_path):
    """routing_analytics/warehouse/relations.py is the one place Python names dbt relations:
    each must be a model's schema.alias in the manifest, so a rename cannot leave a stale one."""
    listed = cli(
        warehouse.env,
        "dbt",
        "--",
        "ls",
        "--resource-type",
        "model",
        "--output",
        "json",
        "--output-keys",
        "schema alias",
        "--target-path",
        str(tmp_path / "target"),
        "--quiet",
    )
    assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
    built = {
        f"{node['schema']}.{node['alias']}"
        for node in map(json.loads, listed.stdout.splitlines())
        if node
    }
    assert len(built) > 30
    assert set(relations.DBT_RELATIONS) <= built, set(relations.DBT_RELATIONS) - built
    # ... and every published mart of the manifest is one Python can name.
    assert relations.PUBLISHED_SCHEMA in {name.split(".")[0] for name in built}
    project = yaml.safe_load((Path(__file__).parents[2] / "dbt_project.yml").read_text())
    project_vars = project["vars"]
    assert (
        project_vars["published_schema"],
        project_vars["reader_role"],
        project_vars["analyst_role"],
    ) == (relations.PUBLISHED_SCHEMA, relations.READER_ROLE, relations.ANALYST_ROLE)


TOTALS_TEST = "assert_mart_totals_reconcile_with_staging"
# One figure changed in each mart the totals reconciliation checks, and what it must name.
TAMPERED_FIGURES = {
    ("task_executions = staged tasks", "cost_actual"): """
        update analytics.task_executions set cost_actual = cost_actual + 0.000001
        where (tenant_id, id) = (
            select tenant_id, id from analytics.task_executions
            where cost_actual is not null order by tenant_id, id limit 1
        )""",
    ("usage_analytics = task_executions", "tasks_created"): """
        update analytics.usage_analytics set tasks_created = tasks_created + 1
        where (tenant_id, date) = (
            select tenant_id, max(date) from analytics.usage_analytics
            group by tenant_id order by tenant_id desc limit 1
        )""",
    ("daily_tenant_metrics = task_executions", "all_tasks_count"): """
        update analytics.daily_tenant_metrics set all_tasks_count = all_tasks_count + 1
        where (tenant_id, date) = (
            select tenant_id, min(date) from analytics.daily_tenant_metrics
            group by tenant_id order by tenant_id desc limit 1
        )""",
    ("provider_performance = task_executions", "total_executions"): """
        update analytics.provider_performance set total_executions = total_executions + 1
        where id = (
            select id from analytics.provider_performance
            where aggregation_level = 'weekly' and tenant_id is not null
            order by tenant_id, provider, period_start limit 1
        )""",
    ("provider_performance global = its tenants", "successful_executions"): """
        update analytics.provider_performance
        set successful_executions = successful_executions + 1
        where id = (
            select id from analytics.provider_performance
            where aggregation_level = 'daily' and tenant_id is null
            order by provider, period_start limit 1
        )""",
    ("customer_roi_snapshots = task_executions", "unpriced_tasks_30d"): """
        update analytics.customer_roi_snapshots set unpriced_tasks_30d = unpriced_tasks_30d + 1
        where (tenant_id, snapshot_date) = (
            select tenant_id, max(snapshot_date) from analytics.customer_roi_snapshots
            group by tenant_id order by tenant_id limit 1
        )""",
}


def test_the_totals_reconciliation_names_each_mart_that_no_longer_adds_up(warehouse_copy):
    """The mart totals reconciliation is the last check between a wrong figure and a
    customer: it passes on the built marts, and with one figure changed in each mart it
    fails, naming every changed figure with its mart."""
    url, env = warehouse_copy.url, warehouse_copy.env
    command = ("dbt", "--", "test", "--select", TOTALS_TEST, "--store-failures")
    passed = cli(env, *command)
    assert passed.returncode == 0, passed.stdout[-3000:]
    with psycopg.connect(url) as conn:
        for statement in TAMPERED_FIGURES.values():
            assert conn.execute(statement).rowcount == 1, statement
    failed = cli(env, *command)
    assert failed.returncode == 1, failed.stdout[-3000:]
    named = set(
        rows(url, f"select distinct reconciliation, figure from dbt_test__audit.{TOTALS_TEST}")
    )
    assert set(TAMPERED_FIGURES) <= named, named


# A run that changed one tenant-day: one figure changed in each mart
# on that day, or in the week or ROI window that holds it, and what the run's check names.
TAMPERED_IN_A_CHANGED_DAY = {
    ("task_executions = staged tasks", "cost_actual"): """
        update analytics.task_executions set cost_actual = cost_actual + 0.000001
        where (tenant_id, id) = (
            select tenant_id, id from analytics.task_executions
            where tenant_id = %(tenant)s and (timestamp_start at time zone 'UTC')::date = %(day)s
                and cost_actual is not null
            order by id limit 1
        )""",
    ("usage_analytics = task_executions", "tasks_created"): """
        update analytics.usage_analytics set tasks_created = tasks_created + 1
        where tenant_id = %(tenant)s and date = %(day)s""",
    ("daily_tenant_metrics = task_executions", "all_tasks_count"): """
        update analytics.daily_tenant_metrics set all_tasks_count = all_tasks_count + 1
        where tenant_id = %(tenant)s and date = %(day)s""",
    ("provider_performance = task_executions", "priced_executions"): """
        update analytics.provider_performance set priced_executions = priced_executions + 1
        where id = (
            select id from analytics.provider_performance
            where aggregation_level = 'hourly' and tenant_id = %(tenant)s
                and (period_start at time zone 'UTC')::date = %(day)s
            order by provider, period_start limit 1
        )""",
    ("provider_performance = its daily rows", "total_executions"): """
        update analytics.provider_performance set total_executions = total_executions + 1
        where id = (
            select id from analytics.provider_performance
            where aggregation_level = 'weekly' and tenant_id = %(tenant)s
                and period_start = date_trunc('week', %(day)s::timestamptz)
            order by provider limit 1
        )""",
    ("provider_performance global = its tenants", "successful_executions"): """
        update analytics.provider_performance
        set successful_executions = successful_executions + 1
        where id = (
            select id from analytics.provider_performance
            where aggregation_level = 'daily' and tenant_id is null and period_start = %(day)s
            order by provider limit 1
        )""",
    ("customer_roi_snapshots = usage_analytics", "unpriced_tasks_30d"): """
        update analytics.customer_roi_snapshots set unpriced_tasks_30d = unpriced_tasks_30d + 1
        where tenant_id = %(tenant)s and snapshot_date = %(day)s""",
}
# ... and one on a day the run did not change, left to the whole check (in a mart that no
# changed figure is compared with).
TAMPERED_ELSEWHERE = {
    ("daily_tenant_metrics = task_executions", "completed_tasks_count"): """
        update analytics.daily_tenant_metrics set completed_tasks_count = completed_tasks_count + 1
        where tenant_id = %(tenant)s and date = %(day)s - 1""",
}
# The cost breakdowns' own check, scoped the same way: one breakdown row made wrong on the
# changed day and one on the day before; its stored failures name the tenant-days.
BREAKDOWNS_TEST = "assert_cost_breakdowns_add_up_to_their_tasks"
TAMPER_BREAKDOWN = """
    update analytics.cost_breakdowns_daily set total_tasks = total_tasks + 1
    where ctid = (
        select ctid from analytics.cost_breakdowns_daily
        where tenant_id = %(tenant)s and date = %(date)s and breakdown = 'task_type'
        order by provider, breakdown_value limit 1
    )"""


def test_a_run_checks_the_totals_of_the_tenant_days_it_changed(warehouse_copy):
    """`run` sets ANALYTICS_CHANGED_SINCE, and the totals reconciliation then compares only
    the tenant-days the run changed (and the weeks, months and ROI windows that hold them,
    with the marts' daily rows): it names each figure changed there and none changed on
    another day, which the whole check (build, check, CI) still names. The same for the
    check that the cost breakdowns add up to their tasks."""
    url, env = warehouse_copy.url, warehouse_copy.env
    with psycopg.connect(url) as conn:
        # As a run that re-priced the tasks of one tenant's last day: newer input stamps.
        changed_since, tenant, day = conn.execute("""
            select greatest(
                    (select max(_inputs_staged_at) from analytics.task_executions),
                    (select max(_inputs_staged_at) from int.int_task_executions_with_savings),
                    (select max(_staged_at) from staging.base_router__task_executions),
                    (select max(_staged_at) from staging.stg_router__usage_events)),
                tenant_id, max(timestamp_start at time zone 'UTC')::date
            from analytics.task_executions group by tenant_id order by tenant_id limit 1
        """).fetchone()
        restamped = conn.execute(
            "update analytics.task_executions"
            " set _inputs_staged_at = %(since)s + interval '1 second'"
            " where tenant_id = %(tenant)s"
            " and (timestamp_start at time zone 'UTC')::date = %(day)s",
            {"since": changed_since, "tenant": tenant, "day": day},
        ).rowcount
        assert restamped > 0
    run_env = {**env, CHANGED_SINCE_VAR: changed_since.isoformat()}
    tests = f"{TOTALS_TEST} {BREAKDOWNS_TEST}"
    command = ("dbt", "--", "test", "--select", tests, "--store-failures")
    passed = cli(run_env, *command)
    assert passed.returncode == 0, passed.stdout[-3000:]
    with psycopg.connect(url) as conn:
        conn.execute("set timezone to 'UTC'")  # the weeks of date_trunc
        for statement in [*TAMPERED_IN_A_CHANGED_DAY.values(), *TAMPERED_ELSEWHERE.values()]:
            changed = conn.execute(statement, {"tenant": tenant, "day": day}).rowcount
            assert changed == 1, statement
        for date in (day, day - timedelta(days=1)):
            changed = conn.execute(TAMPER_BREAKDOWN, {"tenant": tenant, "date": date}).rowcount
            assert changed == 1, date
    named_by, days_named_by = {}, {}
    for label, check_env in (("run", run_env), ("whole", env)):
        failed = cli(check_env, *command)
        assert failed.returncode == 1, failed.stdout[-3000:]
        named_by[label] = set(
            rows(url, f"select distinct reconciliation, figure from dbt_test__audit.{TOTALS_TEST}")
        )
        days_named_by[label] = set(
            rows(
                url,
                f"select distinct tenant_id, activity_date from dbt_test__audit.{BREAKDOWNS_TEST}",
            )
        )
    assert set(TAMPERED_IN_A_CHANGED_DAY) <= named_by["run"], named_by["run"]
    assert not set(TAMPERED_ELSEWHERE) & named_by["run"], named_by["run"]
    assert set(TAMPERED_ELSEWHERE) <= named_by["whole"], named_by["whole"]
    assert days_named_by["run"] == {(tenant, day)}
    assert days_named_by["whole"] == {(tenant, day), (tenant, day - timedelta(days=1))}


RAW_TEST = "assert_staging_reconciles_with_raw"


def test_a_run_reconciles_each_load_it_staged_with_raw(warehouse_copy):
    """In a run the raw reconciliation compares, per load whose rows the run staged, the raw
    rows with the rows staging accounts for in that load: it names a load of the run whose
    count is wrong and no other load, which the whole check (per stream) still catches."""
    url, env = warehouse_copy.url, warehouse_copy.env
    with psycopg.connect(url) as conn:
        changed_since = conn.execute(
            "select max(_staged_at) from staging.base_router__task_executions"
        ).fetchone()[0]
        this_run, earlier = (
            load_id
            for (load_id,) in conn.execute(
                "select _load_id from staging.base_router__task_executions"
                " group by _load_id order by _load_id desc limit 2"
            )
        )
        # As a run that staged the rows of the newest task load: a newer stamp.
        conn.execute(
            "update staging.base_router__task_executions"
            " set _staged_at = %s + interval '1 second' where _load_id = %s",
            (changed_since, this_run),
        )
    run_env = {**env, CHANGED_SINCE_VAR: changed_since.isoformat()}
    command = ("dbt", "--", "test", "--select", RAW_TEST, "--store-failures")
    passed = cli(run_env, *command)
    assert passed.returncode == 0, passed.stdout[-3000:]
    with psycopg.connect(url) as conn:
        miscounted = conn.execute(
            "update int.int_load_rows_judged set landed_rows = landed_rows + 1"
            " where stream = 'task_executions' and load_id in (%s, %s)",
            (this_run, earlier),
        ).rowcount
        assert miscounted == 2
    failed = cli(run_env, *command)
    assert failed.returncode == 1, failed.stdout[-3000:]
    named = rows(url, f"select stream, load_id from dbt_test__audit.{RAW_TEST}")
    assert named == [("task_executions", this_run)]
    with psycopg.connect(url) as conn:
        conn.execute("refresh materialized view int.int_stream_reconciliation")
    whole = cli(env, *command)
    assert whole.returncode == 1, whole.stdout[-3000:]
    assert rows(url, f"select raw_stream from dbt_test__audit.{RAW_TEST}") == [("task_executions",)]


COVERAGE_TESTS = (
    "assert_every_staged_task_is_costed_once",
    "assert_savings_cover_every_costed_task",
)


def test_a_run_checks_the_pricing_of_the_task_keys_it_changed(warehouse_copy):
    """In a run the checks that every staged task is costed once, and every costed task has
    its savings, read the task keys the run staged or priced again: they name such a key
    that lost its rows and no other key, which the whole checks still name."""
    url, env = warehouse_copy.url, warehouse_copy.env
    with psycopg.connect(url) as conn:
        changed_since = conn.execute("""
            select greatest(
                (select max(_staged_at) from staging.base_router__task_executions),
                (select max(_inputs_staged_at) from int.int_task_executions_costed),
                (select max(_inputs_staged_at) from int.int_task_executions_with_savings))
        """).fetchone()[0]
        changed, unchanged = conn.execute(
            "select tenant_id, task_execution_id from int.int_task_executions_with_savings"
            " order by tenant_id, task_execution_id limit 2"
        ).fetchall()
        # As a run that staged a new version of one task.
        restaged = conn.execute(
            "update staging.base_router__task_executions"
            " set _staged_at = %s + interval '1 second'"
            " where tenant_id = %s and task_execution_id = %s",
            (changed_since, *changed),
        ).rowcount
        assert restaged >= 1
    run_env = {**env, CHANGED_SINCE_VAR: changed_since.isoformat()}
    command = ("dbt", "--", "test", "--select", " ".join(COVERAGE_TESTS), "--store-failures")
    passed = cli(run_env, *command)
    assert passed.returncode == 0, passed.stdout[-3000:]
    with psycopg.connect(url) as conn:
        lost = conn.execute(
            "delete from int.int_task_executions_costed"
            " where (tenant_id, task_execution_id) in ((%s, %s), (%s, %s))",
            (*changed, *unchanged),
        ).rowcount
        assert lost == 2
    for check_env, expected in ((run_env, {changed}), (env, {changed, unchanged})):
        failed = cli(check_env, *command)
        assert failed.returncode == 1, failed.stdout[-3000:]
        for test in COVERAGE_TESTS:
            named = set(
                rows(url, f"select tenant_id, task_execution_id from dbt_test__audit.{test}")
            )
            assert named == expected, (test, named)


# The tenant rows of provider_performance whose sums of tokens or quality are not those of
# their tasks.
PERFORMANCE_SUMS_DIFFERING = """
    select built.aggregation_level, built.tenant_id, built.provider, built.period_start
    from analytics.provider_performance as built
    cross join lateral (
        select sum(tasks.tokens_used) as tokens, sum(tasks.quality_score) as quality
        from analytics.task_executions as tasks
        where
            tasks.tenant_id = built.tenant_id
            and tasks.provider_used = built.provider
            and tasks.timestamp_start >= built.period_start
            and tasks.timestamp_start < built.period_end
    ) as summed
    where
        built.tenant_id is not null
        and (
            built.total_tokens is distinct from summed.tokens
            or built.total_quality_score is distinct from summed.quality
        )
"""


def test_a_performance_mart_built_before_its_day_sums_rebuilds_its_open_periods(warehouse_copy):
    """A week or month of provider_performance adds up its daily rows, sums of tokens and
    quality included. A mart built before it kept those sums lacks both columns: the next
    build adds them and builds every open period again, so that no week or month adds up a
    day without them."""
    url, env = warehouse_copy.url, warehouse_copy.env
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "alter table analytics.provider_performance"
            " drop column total_tokens, drop column total_quality_score"
        )
        periods = conn.execute(
            "select aggregation_level, count(*) from analytics.provider_performance group by 1"
        ).fetchall()
    built = cli(
        env,
        "build",
        "--",
        "--select",
        "provider_performance",
        "--exclude-resource-type",
        "test",
        "unit_test",
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    assert rows(url, PERFORMANCE_SUMS_DIFFERING) == []
    assert sorted(
        rows(
            url, "select aggregation_level, count(*) from analytics.provider_performance group by 1"
        )
    ) == sorted(periods)
    assert rows(
        url,
        "select count(*) from analytics.provider_performance"
        " where aggregation_level in ('weekly', 'monthly') and total_tokens is not null",
    ) != [(0,)]


TASK_MART_INDEXES = """
    select indexname, indexdef from pg_indexes
    where schemaname = 'analytics' and tablename = 'task_executions' order by 1
"""


def test_an_index_its_config_no_longer_names_goes_at_the_next_build(warehouse_copy):
    """The task mart's index by status became wider (it carries what provider_performance's
    percentiles read). A mart built before keeps the narrow one: its next build drops it
    before writing, and keeps every configured index."""
    url, env = warehouse_copy.url, warehouse_copy.env
    configured = rows(url, TASK_MART_INDEXES)
    assert any(
        definition.endswith("(tenant_id, status, timestamp_start, provider_used, duration_ms)")
        for _, definition in configured
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "create index retired_by_status"
            " on analytics.task_executions (tenant_id, status, timestamp_start)"
        )
    assert len(rows(url, TASK_MART_INDEXES)) == len(configured) + 1
    built = cli(
        env,
        "build",
        "--",
        "--select",
        "task_executions",
        "--exclude-resource-type",
        "test",
        "unit_test",
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    assert rows(url, TASK_MART_INDEXES) == configured
