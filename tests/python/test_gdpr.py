"""forget-tenant: every row of one tenant leaves every table of every schema, in one
transaction, recorded without the tenant id; the other tenants' figures do not move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from conftest import WITHOUT_UNIT_TESTS, built_database, cli, rows
from psycopg import sql

from routing_analytics.tools.generate import GenerateOptions

# Its tests share (and change) one warehouse, in order: one xdist worker runs them (conftest's
# SHARED_WAREHOUSE_MODULES), session-scoped because it may run other tests in between.
pytestmark = pytest.mark.integration

FORGOTTEN = "tenant_0002"

PER_TENANT_FIGURES = {
    "analytics.task_executions": "count(*), sum(cost_actual), sum(savings)",
    "analytics.routing_decisions": "count(*)",
    "analytics.usage_analytics": "count(*), sum(tasks_created), sum(total_cost_exact_usd)",
    "analytics.customer_roi_snapshots": "count(*), sum(total_savings_30d_exact_usd)",
    "analytics.daily_tenant_metrics": "count(*), sum(completed_cost_usd)",
    "analytics.provider_performance": "count(*), sum(total_executions)",
}

TEXT_COLUMNS = """
select namespace.nspname, class.relname, attribute.attname
from pg_catalog.pg_attribute as attribute
inner join pg_catalog.pg_class as class on class.oid = attribute.attrelid
inner join pg_catalog.pg_namespace as namespace on namespace.oid = class.relnamespace
where class.relkind in ('r', 'p', 'm') and attribute.attnum > 0 and not attribute.attisdropped
  and not class.relispartition
  and namespace.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and attribute.atttypid in ('text'::regtype, 'varchar'::regtype, 'json'::regtype,
                             'jsonb'::regtype, 'text[]'::regtype, 'bytea'::regtype)
order by namespace.nspname, class.relname, attribute.attnum
"""


@pytest.fixture(scope="session")
def env(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    folder = tmp_path_factory.mktemp("gdpr")
    options = GenerateOptions(
        out_dir=folder / "data",
        tenants=4,
        days=3,
        executions=3_000,
        seed=5,
        end_date=date(2026, 11, 20),
        faults=True,
    )
    with built_database(server_url, folder, options) as built:
        yield built.env


def figures(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        return {
            relation: conn.execute(
                f"select tenant_id, {measures} from {relation}"
                " where tenant_id is not null and tenant_id <> %s group by 1 order by 1",
                (FORGOTTEN,),
            ).fetchall()
            for relation, measures in PER_TENANT_FIGURES.items()
        }


def places_holding_the_tenant(url: str) -> list[str]:
    found = []
    with psycopg.connect(url) as conn:
        for schema, table, column in conn.execute(TEXT_COLUMNS).fetchall():
            relation = sql.Identifier(schema, table)
            value = sql.Identifier(column)
            holds = conn.execute(
                sql.SQL("select exists (select from {} where position(%s in {}::text) > 0)").format(
                    relation, value
                )
                if column != "raw_bytes"
                else sql.SQL(
                    "select exists (select from {}"
                    " where position(convert_to(%s, 'UTF8') in {}) > 0)"
                ).format(relation, value),
                (FORGOTTEN,),
            ).fetchone()
            if holds == (True,):
                found.append(f"{schema}.{table}.{column}")
    return found


def test_forget_tenant_leaves_no_trace_and_moves_no_other_figure(env):
    url = env["ANALYTICS_DATABASE_URL"]
    before = figures(url)
    holding = places_holding_the_tenant(url)
    assert holding, "the scan must find the tenant before the deletion"

    # A dry run counts per table, in a transaction it rolls back: nothing changes.
    dry = cli(env, "forget-tenant", FORGOTTEN, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "analytics.task_executions:" in dry.stdout
    assert "rows would be removed; nothing was changed" in dry.stdout
    assert places_holding_the_tenant(url) == holding
    assert rows(url, "select count(*) from audit.tenant_deletions") == [(0,)]

    # The scheduled run's lock: forget-tenant never runs beside a run (exit 75, or --wait).
    with psycopg.connect(url, autocommit=True) as run_in_progress:
        run_in_progress.execute("select pg_advisory_lock(hashtext('routing_analytics.run'))")
        busy = cli(env, "forget-tenant", FORGOTTEN)
    assert busy.returncode == 75, busy.stderr
    assert places_holding_the_tenant(url) == holding

    forgot = cli(env, "forget-tenant", FORGOTTEN)
    assert forgot.returncode == 0, forgot.stderr
    assert "rows removed in one transaction" in forgot.stdout
    assert places_holding_the_tenant(url) == []
    assert figures(url) == before

    with psycopg.connect(url) as conn:
        audit = conn.execute(
            "select tenant_key_hash, rows_removed from audit.tenant_deletions"
        ).fetchall()
    assert len(audit) == 1
    key_hash, removed = audit[0]
    assert FORGOTTEN not in key_hash and len(key_hash) == 64
    assert removed["analytics.task_executions"] > 0
    assert removed["raw.task_executions"] > 0

    # Before any build, what is left still reconciles: raw = staged + rejected + duplicates,
    # and the counts kept per load are those of a recount of all history (forget-tenant
    # recounted the loads and refreshed the reconciliation view in its transaction).
    reconciliations = (
        "assert_staging_reconciles_with_raw",
        "assert_load_counts_match_a_full_recount",
    )
    reconciled = cli(env, "dbt", "--", "test", "--select", *reconciliations)
    assert reconciled.returncode == 0, reconciled.stdout[-3000:]
    for test in reconciliations:
        assert f"PASS {test}" in reconciled.stdout

    rebuilt = cli(env, "build", "--", *WITHOUT_UNIT_TESTS)
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    assert places_holding_the_tenant(url) == []
    assert figures(url) == before


def test_forgetting_an_unknown_tenant_is_refused_and_records_nothing(env):
    """A typo must not write an audit row: a tenant with no row anywhere is refused."""
    url = env["ANALYTICS_DATABASE_URL"]
    before = figures(url)
    audits = _audit_rows(url)
    result = cli(env, "forget-tenant", "tenant_9999")
    assert result.returncode == 2, result.stderr
    assert "no row of tenant 'tenant_9999' anywhere: nothing forgotten" in result.stderr
    assert figures(url) == before
    assert _audit_rows(url) == audits


def _audit_rows(url: str) -> int:
    """Rows of the audit table; none before the first forget-tenant creates it."""
    if rows(url, "select to_regclass('audit.tenant_deletions') is null") == [(True,)]:
        return 0
    return rows(url, "select count(*) from audit.tenant_deletions")[0][0]


def test_state_dir_key_is_what_hashes_the_tenant(env, tmp_path: Path):
    from routing_analytics.operations.forget_tenant import tenant_key_hash  # noqa: PLC0415
    from routing_analytics.platform.config import load_settings  # noqa: PLC0415

    settings = load_settings()
    settings = type(settings)(
        **{**settings.__dict__, "state_dir": Path(env["ANALYTICS_STATE_DIR"])}
    )
    assert tenant_key_hash(settings, FORGOTTEN) != tenant_key_hash(settings, "tenant_0001")
