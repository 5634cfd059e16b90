"""The dashboard queries of analyses/ read the marts' exact sums (hours, days) instead of the
tasks; they must give what the design document's queries give when asked of the tasks.

The analyses read the clock (now()); here each runs with the clock replaced by a moment
inside the fixture's data, one between two hours, one on the hour and one at midnight (the
window then starts with a whole day), for every tenant."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import cli, plan_scans

pytestmark = pytest.mark.integration

CLOCKS = ["2026-11-20 13:27:45.123456+00", "2026-11-20 09:00:00+00", "2026-11-20 00:00:00+00"]

# The design document's 7.2, on the tasks, with the shown figures floored as the analysis does.
PROVIDERS_FROM_TASKS = """
select
    provider_used as provider,
    count(*) filter (where status = 'completed') as tasks_completed,
    floor(avg(duration_ms) filter (where status = 'completed')) as avg_duration_ms,
    floor(avg(cost_actual) filter (where status = 'completed') * 10000) / 10000 as avg_cost_usd,
    floor(100.0 * count(*) filter (where status = 'completed') / count(*) * 100) / 100
        as success_rate
from analytics.task_executions
where tenant_id = current_setting('app.tenant_id', true)
    and timestamp_start >= {clock} - interval '7 days'
group by provider_used
order by provider_used
"""

# The design document's 7.1, on the tasks: the exact sums behind the shown counter.
SAVINGS_FROM_TASKS = """
select coalesce(sum(savings), 0), coalesce(sum(cost_baseline), 0)
from analytics.task_executions
where tenant_id = current_setting('app.tenant_id', true)
    and status = 'completed'
    and is_in_savings
    and timestamp_start >= date_trunc('month', {clock})
"""


@pytest.fixture(scope="module")
def compiled(warehouse, tmp_path_factory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("analyses-target")
    result = cli(
        warehouse.env, "dbt", "--", "compile", "--select", "resource_type:analysis",
        "--target-path", str(target), "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return {path.stem: path.read_text() for path in Path(target).rglob("analyses/*.sql")}


def as_tenant(url: str, tenant: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute("set local role analytics_reader")
        conn.execute("select set_config('app.tenant_id', %s, true)", (tenant,))
        return conn.execute(query).fetchall()


def tenants(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        found = conn.execute("select distinct tenant_id from analytics.task_executions")
        return sorted(row[0] for row in found)


def at(clock: str, query: str) -> str:
    assert "now()" in query, "the analysis no longer reads the clock as now()"
    return query.replace("now()", f"timestamptz '{clock}'")


@pytest.mark.parametrize("clock", CLOCKS)
def test_the_provider_comparison_equals_the_design_query_on_the_tasks(warehouse, compiled, clock):
    literal = f"timestamptz '{clock}'"
    compared = 0
    for tenant in tenants(warehouse.url):
        expected = as_tenant(warehouse.url, tenant, PROVIDERS_FROM_TASKS.format(clock=literal))
        shown = as_tenant(warehouse.url, tenant, at(clock, compiled["provider_comparison"]))
        assert sorted(shown) == expected, tenant
        compared += len(expected)
    assert compared > 0, "no task in the window: the comparison proved nothing"


@pytest.mark.parametrize("clock", CLOCKS)
def test_the_monthly_savings_counter_equals_the_sums_of_the_tasks(warehouse, compiled, clock):
    literal = f"timestamptz '{clock}'"
    for tenant in tenants(warehouse.url):
        [(savings, baseline)] = as_tenant(
            warehouse.url, tenant, SAVINGS_FROM_TASKS.format(clock=literal)
        )
        [shown] = as_tenant(warehouse.url, tenant, at(clock, compiled["monthly_savings_counter"]))
        assert shown[:1] == (savings,), tenant
        assert baseline > 0, "no savings this month: the comparison proved nothing"


BIG_RELATIONS = {"task_executions", "provider_performance", "usage_analytics"}


def scans(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(relation, node type) of every scan in an EXPLAIN (format json) plan; a monthly
    partition (task_executions_2026_11) is named by its table."""
    return [(re.sub(r"_\d{4}_\d{2}$", "", name), node) for name, node in plan_scans(plan)]


@pytest.mark.parametrize("name", ["provider_comparison", "monthly_savings_counter", "cost_trend"])
def test_the_dashboard_queries_read_the_big_relations_through_an_index(warehouse, compiled, name):
    """With sequential scans priced out (the fixture is small enough that the planner would
    rightly prefer them), each query must still find an index on the tenant and time."""
    tenant = tenants(warehouse.url)[0]
    query = at(CLOCKS[0], compiled[name])
    with psycopg.connect(warehouse.url) as conn, conn.transaction():
        conn.execute("set local role analytics_reader")
        conn.execute("set local enable_seqscan = off")
        conn.execute("select set_config('app.tenant_id', %s, true)", (tenant,))
        [(plan,)] = conn.execute(f"explain (format json) {query}").fetchall()
    read = [scan for scan in scans(plan[0]["Plan"]) if scan[0] in BIG_RELATIONS]
    assert read, f"{name} reads none of {sorted(BIG_RELATIONS)}"
    assert all(node != "Seq Scan" for _, node in read), read
