"""The ROI calculator: `routing-analytics roi` and analytics.calculate_roi against figures
recomputed here in Python (Decimal) from analytics.task_executions, by the documented rules."""

from __future__ import annotations

import json
from decimal import ROUND_FLOOR, Decimal

import psycopg
import pytest
from conftest import cli, rows

pytestmark = pytest.mark.integration

AS_OF = "2026-11-21T00:00:00+00:00"
CENT = Decimal("0.01")


def floor(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_FLOOR)


def expected_roi(url: str, tenant: str, days: int) -> dict[str, Decimal | int]:
    tasks = rows(
        url,
        f"""
        select status, cost_actual, cost_baseline, savings, is_priced
        from analytics.task_executions
        where tenant_id = '{tenant}'
          and timestamp_start >= timestamptz '{AS_OF}' - interval '{days} days'
          and timestamp_start < timestamptz '{AS_OF}'
        """,
    )
    completed = [t for t in tasks if t[0] == "completed"]
    priced = [t for t in completed if t[4]]
    cost = sum((t[1] for t in priced), Decimal(0))
    baseline = sum((t[2] for t in priced), Decimal(0))
    saved = sum((t[3] for t in priced), Decimal(0))
    shown = floor(saved) if baseline > 0 and saved >= baseline / 100 else Decimal(0)
    percent = (saved * 100 / baseline).to_integral_value(ROUND_FLOOR) if shown else Decimal(0)
    optimized = sum(1 for t in priced if t[3] > 0)
    return {
        "total_cost": floor(cost),
        "baseline_cost": floor(baseline),
        "total_savings": shown,
        "savings_percentage": percent,
        "tasks_completed": len(completed),
        "tasks_optimized": optimized,
        "avg_savings_per_task": floor(saved / optimized, "0.0001") if shown else Decimal(0),
        "other_status_cost": floor(
            sum((t[1] for t in tasks if t[0] != "completed" and t[4]), Decimal(0))
        ),
        "unpriced_tasks": sum(1 for t in tasks if not t[4]),
        "total_savings_exact": saved,
    }


@pytest.fixture(scope="module")
def tenant(warehouse) -> str:
    (name,) = rows(
        warehouse.url,
        "select tenant_id from analytics.task_executions group by 1 order by count(*) desc limit 1",
    )[0]
    return name


def test_roi_command_matches_the_rules(warehouse, tenant):
    result = cli(
        warehouse.env, "roi", "--tenant", tenant, "--days", "30", "--as-of", AS_OF, "--json"
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout, parse_float=Decimal)
    expected = expected_roi(warehouse.url, tenant, 30)
    for name, value in expected.items():
        assert Decimal(str(shown[name])) == value, name
    assert expected["tasks_completed"] > 0
    assert expected["total_savings"] > 0


def test_roi_text_output_names_the_period(warehouse, tenant):
    result = cli(warehouse.env, "roi", "--tenant", tenant, "--days", "2", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert f"ROI for tenant {tenant}, 2 days: 2026-11-19 00:00 to 2026-11-21 00:00 UTC" in (
        result.stdout
    )
    expected = expected_roi(warehouse.url, tenant, 2)
    assert "Savings (USD, conservative)" in result.stdout
    assert str(expected["total_savings"]) in result.stdout


def test_unknown_tenant_and_bad_period_are_clear_errors(warehouse):
    unknown = cli(warehouse.env, "roi", "--tenant", "no-such-tenant")
    assert unknown.returncode == 2
    assert "no task executions for tenant 'no-such-tenant'" in unknown.stderr
    bad_days = cli(warehouse.env, "roi", "--tenant", "x", "--days", "0")
    assert bad_days.returncode == 2
    assert "not a positive whole number" in bad_days.stderr
    with (
        psycopg.connect(warehouse.url) as conn,
        pytest.raises(psycopg.errors.InvalidParameterValue, match="positive number of days"),
    ):
        conn.execute("select * from analytics.calculate_roi('x', 0)")


def test_the_sql_function_and_the_snapshot_agree(warehouse, tenant):
    """customer_roi_snapshots of day D is calculate_roi over the 30 days ending with D."""
    (snapshot,) = rows(
        warehouse.url,
        f"""
        select snapshot_date from analytics.customer_roi_snapshots
        where tenant_id = '{tenant}' order by snapshot_date desc limit 1
        """,
    )[0]
    compared = rows(
        warehouse.url,
        f"""
        select roi.total_cost = snap.total_cost_30d,
               roi.total_savings = snap.total_savings_30d,
               roi.savings_percentage = snap.savings_percentage_30d,
               roi.tasks_completed = snap.tasks_completed_30d,
               roi.total_savings_exact is not distinct from snap.total_savings_30d_exact_usd
        from analytics.customer_roi_snapshots as snap
        cross join analytics.calculate_roi(
            '{tenant}', 30, cast(date '{snapshot}' + 1 as timestamp) at time zone 'UTC'
        ) as roi
        where snap.tenant_id = '{tenant}' and snap.snapshot_date = date '{snapshot}'
        """,
    )
    assert compared == [(True, True, True, True, True)]
