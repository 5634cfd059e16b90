"""Tenant isolation of the published schema, found from the catalog (no hand-written list).

Logs in as real login roles that are members of analytics_reader / analytics_analyst (a
superuser that SET ROLEs could simply RESET ROLE) and asserts what each can see and do.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from conftest import settings_for
from psycopg import sql

from routing_analytics.operations.logins import create_login
from routing_analytics.platform.config import Settings
from routing_analytics.warehouse.dbt import run_dbt

pytestmark = pytest.mark.integration

SCHEMA = "analytics"
READER_ROLE = "analytics_reader"
ANALYST_ROLE = "analytics_analyst"
OWNER_ROLE = "analytics_owner"
GLOBAL_ROW_RELATIONS = {"provider_performance"}
PRIVATE_SCHEMAS = ("raw", "staging", "int", "snapshots", "util")


@dataclass(frozen=True)
class Relation:
    name: str
    kind: str

    @property
    def identifier(self) -> sql.Composed:
        return sql.Identifier(SCHEMA, self.name)


def login_url(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture(scope="module")
def warehouse_settings(warehouse, tmp_path_factory) -> Settings:
    """The settings of the shared warehouse, for calling the commands' code directly."""
    return settings_for(warehouse.url, tmp_path_factory.mktemp("state"))


@pytest.fixture(scope="module")
def logins(warehouse, warehouse_settings) -> Iterator[dict[str, str]]:
    """One login per reader role, made as `routing-analytics create-login` makes them (with
    the session settings a production login gets), for this module only."""
    settings = warehouse_settings
    urls = {}
    suffix = secrets.token_hex(4)
    for kind, role in (("reader", READER_ROLE), ("analyst", ANALYST_ROLE)):
        user = f"probe_{kind}_{suffix}"
        urls[role] = login_url(warehouse.url, user, create_login(settings, user, kind))
    try:
        yield urls
    finally:
        with psycopg.connect(warehouse.url, autocommit=True) as admin:
            for kind in ("reader", "analyst"):
                admin.execute(
                    sql.SQL("drop role {}").format(sql.Identifier(f"probe_{kind}_{suffix}"))
                )


@pytest.fixture(scope="module")
def tenant_relations(warehouse) -> list[Relation]:
    """Every relation of the published schema with a tenant_id column, from the catalog."""
    with psycopg.connect(warehouse.url) as conn:
        found = conn.execute(
            """
            select class.relname, class.relkind
            from pg_catalog.pg_class as class
            inner join pg_catalog.pg_attribute as attribute
                on attribute.attrelid = class.oid
                and attribute.attname = 'tenant_id' and not attribute.attisdropped
            where class.relnamespace = %s::regnamespace
              and class.relkind in ('r', 'p', 'v', 'm', 'f')
            order by 1
            """,
            (SCHEMA,),
        ).fetchall()
    relations = [Relation(name, kind) for name, kind in found]
    assert {"task_executions", "routing_decisions"} <= {r.name for r in relations}
    return relations


@pytest.fixture(scope="module")
def tenants(warehouse) -> list[str]:
    with psycopg.connect(warehouse.url) as conn:
        found = [
            t
            for (t,) in conn.execute(
                "select distinct tenant_id from analytics.task_executions order by 1"
            )
        ]
    assert len(found) >= 2
    return found


def count(conn: psycopg.Connection, query: sql.Composable, *params: object) -> int:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def visible_rows(url: str, relation: Relation, tenant: str | None) -> dict[str | None, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        if tenant is not None:
            conn.execute("select set_config('app.tenant_id', %s, false)", (tenant,))
        rows = conn.execute(
            sql.SQL("select tenant_id, count(*) from {} group by 1").format(relation.identifier)
        ).fetchall()
    return {tenant_id: n for tenant_id, n in rows}


def test_every_tenant_relation_has_forced_row_level_security(warehouse, tenant_relations):
    with psycopg.connect(warehouse.url) as conn:
        unprotected = conn.execute(
            """
            select class.relname, class.relkind, class.relrowsecurity, class.relforcerowsecurity,
                   coalesce(class.reloptions, '{}')
            from pg_catalog.pg_class as class
            where class.relnamespace = %s::regnamespace and class.relname = any(%s)
              and not (
                (class.relkind in ('r', 'p') and class.relrowsecurity and class.relforcerowsecurity)
                or (class.relkind = 'v' and 'security_invoker=true' = any(class.reloptions))
              )
            """,
            (SCHEMA, [r.name for r in tenant_relations]),
        ).fetchall()
    assert unprotected == []


def test_no_function_in_the_published_schema_runs_as_its_owner(warehouse):
    with psycopg.connect(warehouse.url) as conn:
        definers = conn.execute(
            "select proname from pg_catalog.pg_proc"
            " where pronamespace = %s::regnamespace and prosecdef",
            (SCHEMA,),
        ).fetchall()
    assert definers == []


def test_a_reader_sees_only_its_tenant(warehouse, logins, tenant_relations, tenants):
    reader = logins[READER_ROLE]
    for relation in tenant_relations:
        for tenant in tenants:
            seen = visible_rows(reader, relation, tenant)
            allowed = {tenant, None} if relation.name in GLOBAL_ROW_RELATIONS else {tenant}
            assert set(seen) <= allowed, (relation.name, tenant, seen)
            # ... and all of its own rows: isolation is not an empty result everywhere.
            with psycopg.connect(warehouse.url) as owner:
                own = count(
                    owner,
                    sql.SQL("select count(*) from {} where tenant_id = %s").format(
                        relation.identifier
                    ),
                    tenant,
                )
            assert seen.get(tenant, 0) == own, (relation.name, tenant)
    task_rows = visible_rows(reader, Relation("task_executions", "r"), tenants[0])
    assert task_rows.get(tenants[0], 0) > 0


@pytest.mark.parametrize("tenant", [None, "", "no-such-tenant", "' or true --"])
def test_no_or_unknown_tenant_context_sees_nothing(logins, tenant_relations, tenant):
    for relation in tenant_relations:
        assert visible_rows(logins[READER_ROLE], relation, tenant) == {}, relation.name


def test_resetting_the_setting_fails_closed(logins, tenants):
    with psycopg.connect(logins[READER_ROLE], autocommit=True) as conn:
        conn.execute("select set_config('app.tenant_id', %s, false)", (tenants[0],))
        assert count(conn, sql.SQL("select count(*) from analytics.task_executions")) > 0
        conn.execute("reset app.tenant_id")
        assert count(conn, sql.SQL("select count(*) from analytics.task_executions")) == 0
        conn.execute("set app.tenant_id to default")
        assert count(conn, sql.SQL("select count(*) from analytics.task_executions")) == 0


ESCAPES = [
    f"set role {OWNER_ROLE}",
    f"set role {ANALYST_ROLE}",
    "select count(*) from raw.task_executions",
    "select count(*) from raw.quarantined_lines",
    "select count(*) from staging.stg_router__task_executions",
    "select count(*) from int.int_task_executions_with_savings",
    "select count(*) from snapshots.snp_provider_pricing",
    "select count(*) from retention.usage_users_seen",
    "alter table analytics.task_executions disable row level security",
    "alter table analytics.task_executions no force row level security",
    "drop policy tenant_reader on analytics.task_executions",
    "create view analytics.all_tasks as select * from analytics.task_executions",
    "create function analytics.all_tasks() returns bigint language sql security definer"
    " as 'select count(*) from analytics.task_executions'",
    "create function public.all_tasks() returns bigint language sql security definer"
    " as 'select count(*) from analytics.task_executions'",
    "insert into analytics.task_executions (id) values (gen_random_uuid())",
    "update analytics.task_executions set cost_actual = 0",
    "delete from analytics.task_executions",
    "truncate analytics.task_executions",
]


@pytest.mark.parametrize("statement", ESCAPES)
def test_obvious_escapes_fail(logins, tenants, statement):
    with psycopg.connect(logins[READER_ROLE], autocommit=True) as conn:
        conn.execute("select set_config('app.tenant_id', %s, false)", (tenants[0],))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_a_reader_cannot_become_the_builder(warehouse, logins):
    builder = urlsplit(warehouse.url).username or "postgres"
    with psycopg.connect(logins[READER_ROLE], autocommit=True) as conn:
        for statement in ("set role {}", "set session authorization {}"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql.SQL(statement).format(sql.Identifier(builder)))


def test_the_analyst_reads_every_tenant_and_writes_nothing(warehouse, logins, tenants):
    with psycopg.connect(warehouse.url) as owner:
        everything = count(owner, sql.SQL("select count(*) from analytics.task_executions"))
    with psycopg.connect(logins[ANALYST_ROLE], autocommit=True) as conn:
        assert count(conn, sql.SQL("select count(*) from analytics.task_executions")) == everything
        seen = {
            t for (t,) in conn.execute("select distinct tenant_id from analytics.task_executions")
        }
        assert seen == set(tenants)
        for statement in ("delete from analytics.task_executions", "select 1 from raw.loads"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_private_schemas_are_closed_to_public(warehouse):
    with psycopg.connect(warehouse.url) as conn:
        open_schemas = conn.execute(
            """
            select nspname from pg_catalog.pg_namespace
            where nspname = any(%s)
              and (has_schema_privilege('public', oid, 'usage')
                   or has_schema_privilege(%s, oid, 'usage')
                   or has_schema_privilege(%s, oid, 'usage'))
            """,
            (list(PRIVATE_SCHEMAS), READER_ROLE, ANALYST_ROLE),
        ).fetchall()
    assert open_schemas == []


def test_a_reader_without_a_tenant_sees_the_shared_dimensions_only(warehouse, logins):
    """providers, models and calendar hold no tenant data: every reader joins to them."""
    shared = ("providers", "models", "calendar")
    with psycopg.connect(warehouse.url) as owner:
        expected = {
            name: count(
                owner, sql.SQL("select count(*) from {}").format(sql.Identifier(SCHEMA, name))
            )
            for name in shared
        }
    with psycopg.connect(logins[READER_ROLE], autocommit=True) as reader:
        for name in shared:
            seen = count(
                reader, sql.SQL("select count(*) from {}").format(sql.Identifier(SCHEMA, name))
            )
            assert seen == expected[name] > 0, name
        assert count(reader, sql.SQL("select count(*) from analytics.tenants")) == 0


def test_no_differencing_of_global_rows_isolates_another_tenant(warehouse, logins, tenants):
    """A day's global row minus the published hourly global rows minus the reader's own rows
    once gave another tenant's exact hour. Try that attack at every level, as each tenant."""
    levels = ("hourly", "daily", "weekly", "monthly")
    with psycopg.connect(warehouse.url) as owner:
        min_tenants = 3
        true_tenants = {
            (provider, day): set(found)
            for provider, day, found in owner.execute(
                "select provider_used,"
                " date_trunc('day', timestamp_start at time zone 'UTC') at time zone 'UTC',"
                " array_agg(distinct tenant_id) from analytics.task_executions group by 1, 2"
            )
        }
    for tenant in tenants:
        with psycopg.connect(logins[READER_ROLE], autocommit=True) as reader:
            reader.execute("select set_config('app.tenant_id', %s, false)", (tenant,))
            rows_seen = reader.execute(
                "select aggregation_level, provider, period_start, period_end, tenant_id,"
                " total_executions from analytics.provider_performance"
            ).fetchall()
        global_rows = [row for row in rows_seen if row[4] is None]
        assert global_rows, "no global row published: the attack proves nothing"
        # Any global row with a published global row inside its period can be differenced.
        for coarse in global_rows:
            for fine in global_rows:
                if fine is coarse or fine[1] != coarse[1]:
                    continue
                inside = coarse[2] <= fine[2] and fine[3] <= coarse[3]
                assert not inside, (coarse[:4], fine[:4])
        # What remains after subtracting the reader's own rows covers >= 2 other tenants.
        own = {(row[0], row[1], row[2]): row[5] for row in rows_seen if row[4] == tenant}
        for level, provider, start, _, _, total in global_rows:
            assert level in levels
            others = true_tenants[(provider, start)] - {tenant}
            residual = total - own.get((level, provider, start), 0)
            if residual:
                assert len(others) >= min_tenants - 1, (provider, start, tenant)


def plan_nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def rows_visited_and_removed(conn: psycopg.Connection, query: sql.Composable) -> int:
    """What EXPLAIN ANALYZE reports a scan of a published relation read and then threw away
    (the rows a policy or a condition removed)."""
    (plan,) = conn.execute(sql.SQL("explain (analyze, format json) {}").format(query)).fetchone()
    removed = 0
    for node in plan_nodes(plan[0]["Plan"]):
        if node.get("Schema", SCHEMA) == SCHEMA and "Relation Name" in node:
            removed += node.get("Rows Removed by Filter", 0)
            removed += node.get("Rows Removed by Index Recheck", 0)
    return removed


def probe_queries(conn: psycopg.Connection, relation: Relation) -> list[sql.Composable]:
    """select *, and one condition per date or time column (an index on such a column alone
    would read every tenant's rows of the period and count the ones the policy removed)."""
    columns = conn.execute(
        "select attname from pg_catalog.pg_attribute"
        " where attrelid = %s::regclass and attnum > 0 and not attisdropped"
        " and atttypid in ('date'::regtype, 'timestamptz'::regtype)",
        (f"{SCHEMA}.{relation.name}",),
    ).fetchall()
    everything = sql.SQL("select * from {}").format(relation.identifier)
    return [everything] + [
        sql.SQL("select * from {} where {} >= '2000-01-01'").format(
            relation.identifier, sql.Identifier(column)
        )
        for (column,) in columns
    ]


def test_explain_analyze_counts_no_other_tenants_rows(warehouse, logins, tenant_relations, tenants):
    """Plans of a reader read its own rows only: no scan removes a row it may not see, so
    no row count of another tenant appears (before issue 10, Rows Removed by Filter of the
    daily_tenant_metrics view gave every tenant's row count, with no tenant set at all)."""
    with psycopg.connect(warehouse.url) as owner:
        global_rows = count(
            owner,
            sql.SQL("select count(*) from analytics.provider_performance where tenant_id is null"),
        )
    assert global_rows > 0
    for tenant in (None, tenants[0]):
        with psycopg.connect(logins[READER_ROLE], autocommit=True) as reader:
            if tenant is not None:
                reader.execute("select set_config('app.tenant_id', %s, false)", (tenant,))
            for relation in tenant_relations:
                for query in probe_queries(reader, relation):
                    removed = rows_visited_and_removed(reader, query)
                    # Without a tenant, the global rows (every known tenant sees them) are
                    # read and removed; nothing of any tenant is.
                    allowed = global_rows if relation.name in GLOBAL_ROW_RELATIONS else 0
                    assert removed <= (allowed if tenant is None else 0), (
                        relation.name,
                        tenant,
                        query.as_string(reader),
                    )


def test_every_index_of_a_tenant_relation_leads_with_tenant_id(warehouse, tenant_relations):
    with psycopg.connect(warehouse.url) as conn:
        others = conn.execute(
            """
            select index.indexrelid::regclass::text
            from pg_catalog.pg_index as index
            inner join pg_catalog.pg_attribute as first_column
                on first_column.attrelid = index.indrelid
                and first_column.attnum = index.indkey[0]
            where index.indrelid = any(%s::regclass[]) and first_column.attname <> 'tenant_id'
            """,
            ([f"{SCHEMA}.{r.name}" for r in tenant_relations if r.kind in ("r", "p")],),
        ).fetchall()
    assert others == []


def test_an_index_that_does_not_lead_with_tenant_id_is_dropped(warehouse_copy, tmp_path):
    """A mart given an index on date alone (a reader's plan would count other tenants' rows
    of the day) loses it at the next dbt invocation."""
    with psycopg.connect(warehouse_copy.url, autocommit=True) as owner:
        owner.execute("create index stray_by_date on analytics.usage_analytics (date)")
    settings = settings_for(warehouse_copy.url, tmp_path)
    # Any dbt invocation ends with apply_tenant_isolation (on-run-end).
    assert run_dbt(settings, ["run", "--select", "providers"]) == 0
    with psycopg.connect(warehouse_copy.url) as owner:
        assert owner.execute("select to_regclass('analytics.stray_by_date')").fetchone() == (None,)
