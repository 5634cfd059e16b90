"""usage_analytics and daily_tenant_metrics on the built fixture warehouse, against figures
recomputed here in Python (Decimal, UTC days) from analytics.task_executions and the staged
usage events. The warehouse is shared: these tests only read it."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

import psycopg
import pytest
from conftest import conservative_figures, rows

from routing_analytics.tools.generate.catalog import TASK_TYPES

pytestmark = pytest.mark.integration

DAILY_METRICS = "analytics.daily_tenant_metrics"
READER_ROLE = "analytics_reader"
ANALYST_ROLE = "analytics_analyst"
METRICS_COLUMNS = (
    "completed_tasks_count",
    "completed_cost_usd",
    "completed_savings_usd",
    "avg_duration",
    "all_tasks_count",
    "unpriced_tasks_count",
    "other_status_cost",
)

Key = tuple[str, date]


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def floor_cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


def add(total: Decimal | None, value: Decimal | None) -> Decimal | None:
    """SQL sum: nulls are skipped, and a sum of nothing is null."""
    if value is None:
        return total
    return value if total is None else total + value


@pytest.fixture(scope="module")
def tasks(warehouse) -> list[tuple]:
    found = rows(
        warehouse.url,
        """
        select tenant_id, task_type, status, cost_actual, cost_baseline, savings, is_priced,
               duration_ms, timestamp_start
        from analytics.task_executions
        """,
    )
    assert len(found) > 1000
    assert {task[2] for task in found} > {"completed"}
    return found


@pytest.fixture(scope="module")
def events(warehouse) -> list[tuple]:
    found = rows(
        warehouse.url,
        "select tenant_id, user_id, event_type, occurred_at from staging.stg_router__usage_events",
    )
    assert found
    return found


def expected_daily_metrics(tasks: list[tuple]) -> dict[Key, dict[str, object]]:
    days: dict[Key, dict[str, object]] = {}
    durations: dict[Key, list[int]] = defaultdict(list)
    for tenant, _, status, cost, _, savings, is_priced, duration, started in tasks:
        key = (tenant, utc_day(started))
        day = days.setdefault(
            key,
            {
                "completed_tasks_count": 0,
                "completed_cost_usd": None,
                "completed_savings_usd": None,
                "all_tasks_count": 0,
                "unpriced_tasks_count": 0,
                "other_status_cost": None,
            },
        )
        day["all_tasks_count"] += 1
        day["unpriced_tasks_count"] += 0 if is_priced else 1
        if status == "completed":
            day["completed_tasks_count"] += 1
            day["completed_cost_usd"] = add(day["completed_cost_usd"], cost)
            day["completed_savings_usd"] = add(day["completed_savings_usd"], savings)
            if duration is not None:
                durations[key].append(duration)
        else:
            day["other_status_cost"] = add(day["other_status_cost"], cost)
    for key, day in days.items():
        values = durations[key]
        day["avg_duration"] = Decimal(sum(values)) / len(values) if values else None
    return days


def daily_metrics(url: str, relation: str) -> dict[Key, dict[str, object]]:
    query = f"select tenant_id, date, {', '.join(METRICS_COLUMNS)} from {relation}"
    return {
        (tenant, day): dict(zip(METRICS_COLUMNS, values, strict=True))
        for tenant, day, *values in rows(url, query)
    }


def test_daily_metrics_is_a_table_with_forced_row_level_security(warehouse):
    (kind, forced, indexes) = rows(
        warehouse.url,
        f"""
        select class.relkind, class.relrowsecurity and class.relforcerowsecurity,
               array(
                   select pg_get_indexdef(index.indexrelid)
                   from pg_catalog.pg_index as index
                   where index.indrelid = class.oid and index.indisunique
               )
        from pg_catalog.pg_class as class
        where class.oid = '{DAILY_METRICS}'::regclass
        """,
    )[0]
    assert (kind, forced) == ("r", True)
    assert len(indexes) == 1
    assert indexes[0].startswith("CREATE UNIQUE INDEX")
    assert indexes[0].endswith("USING btree (tenant_id, date)")


def test_daily_metrics_equal_sums_over_task_executions(warehouse, tasks):
    expected = expected_daily_metrics(tasks)
    found = daily_metrics(warehouse.url, DAILY_METRICS)
    assert found.keys() == expected.keys()
    for key, day in expected.items():
        got, want = dict(found[key]), dict(day)
        got_average, want_average = got.pop("avg_duration"), want.pop("avg_duration")
        # Money and counts: to the last digit.
        assert got == want, key
        # The average is a numeric division: equal to well beyond the displayed digits.
        if want_average is None:
            assert got_average is None, key
        else:
            assert abs(got_average - want_average) < Decimal("1e-12"), key
    totals = rows(
        warehouse.url,
        f"select sum(all_tasks_count), sum(completed_cost_usd), sum(other_status_cost)"
        f" from {DAILY_METRICS}",
    )[0]
    assert totals[0] == len(tasks)
    assert totals[1] == sum(t[3] for t in tasks if t[2] == "completed" and t[3] is not None)
    assert totals[2] == sum(t[3] for t in tasks if t[2] != "completed" and t[3] is not None)


def test_daily_metrics_show_a_reader_its_own_tenant_only(warehouse):
    everything = daily_metrics(warehouse.url, DAILY_METRICS)
    tenants = sorted({tenant for tenant, _ in everything})
    assert len(tenants) >= 2
    with psycopg.connect(warehouse.url) as conn:
        for tenant in tenants:
            conn.execute(f"set local role {READER_ROLE}")
            conn.execute("select set_config('app.tenant_id', %s, true)", (tenant,))
            seen = conn.execute(f"select tenant_id, date from {DAILY_METRICS}").fetchall()
            assert {row[0] for row in seen} == {tenant}
            assert set(seen) == {key for key in everything if key[0] == tenant}
            conn.rollback()
        for setting in ("", "no-such-tenant"):
            conn.execute(f"set local role {READER_ROLE}")
            conn.execute("select set_config('app.tenant_id', %s, true)", (setting,))
            assert conn.execute(f"select count(*) from {DAILY_METRICS}").fetchone() == (0,)
            conn.rollback()
        conn.execute(f"set local role {READER_ROLE}")
        assert conn.execute(f"select count(*) from {DAILY_METRICS}").fetchone() == (0,)
        conn.rollback()
        conn.execute(f"set local role {ANALYST_ROLE}")
        assert conn.execute(f"select count(*) from {DAILY_METRICS}").fetchone() == (
            len(everything),
        )
        conn.rollback()


@pytest.fixture(scope="module")
def usage(warehouse) -> dict[Key, dict[str, object]]:
    columns = (
        "active_users",
        "new_users",
        "tasks_created",
        "api_calls_made",
        "dashboard_views",
        "tasks_by_type",
        "total_cost",
        "total_savings",
        "total_cost_exact_usd",
        "completed_baseline_exact_usd",
        "completed_savings_exact_usd",
        "unpriced_tasks",
        "created_at",
    )
    query = f"select tenant_id, date, {', '.join(columns)} from analytics.usage_analytics"
    found = {
        (tenant, day): dict(zip(columns, values, strict=True))
        for tenant, day, *values in rows(warehouse.url, query)
    }
    assert found
    return found


def test_usage_analytics_counts_every_task_execution_once(warehouse, usage, tasks):
    (total,) = rows(warehouse.url, "select sum(tasks_created) from analytics.usage_analytics")[0]
    assert (
        total
        == len(tasks)
        == rows(warehouse.url, "select count(*) from analytics.task_executions")[0][0]
    )
    per_day: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TASK_TYPES, 0))
    for tenant, task_type, *_, started in tasks:
        per_day[(tenant, utc_day(started))][task_type] += 1
    for key, day in usage.items():
        assert day["tasks_by_type"] == per_day.get(key, dict.fromkeys(TASK_TYPES, 0)), key
        assert day["tasks_created"] == sum(day["tasks_by_type"].values()), key


def test_usage_analytics_has_every_day_from_first_activity_to_the_newest_day(usage, tasks, events):
    activity: dict[str, set[date]] = defaultdict(set)
    for tenant, *_, started in tasks:
        activity[tenant].add(utc_day(started))
    for tenant, _, _, occurred in events:
        activity[tenant].add(utc_day(occurred))
    last = max(max(days) for days in activity.values())
    expected = set()
    for tenant, days in activity.items():
        day = min(days)
        while day <= last:
            expected.add((tenant, day))
            day += timedelta(days=1)
    assert set(usage) == expected
    quiet = [key for key in expected if key[1] not in activity[key[0]]]
    for key in quiet:
        assert usage[key]["tasks_created"] == usage[key]["active_users"] == 0
        assert usage[key]["total_cost"] == usage[key]["total_savings"] == Decimal("0.00")
        assert usage[key]["created_at"] is None


def test_usage_analytics_users_and_events(usage, events):
    active: dict[Key, set[str]] = defaultdict(set)
    counts: dict[Key, dict[str, int]] = defaultdict(lambda: {"api_call": 0, "dashboard_view": 0})
    first_seen: dict[tuple[str, str], date] = {}
    for tenant, user, event_type, occurred in events:
        key = (tenant, utc_day(occurred))
        if event_type in counts[key]:
            counts[key][event_type] += 1
        if user is not None:
            active[key].add(user)
            seen = first_seen.get((tenant, user))
            first_seen[(tenant, user)] = key[1] if seen is None else min(seen, key[1])
    new: dict[Key, int] = defaultdict(int)
    for (tenant, _), day in first_seen.items():
        new[(tenant, day)] += 1
    assert sum(new.values()) > 0
    for key, day in usage.items():
        assert day["active_users"] == len(active.get(key, ())), key
        assert day["new_users"] == new.get(key, 0), key
        assert day["api_calls_made"] == counts[key]["api_call"], key
        assert day["dashboard_views"] == counts[key]["dashboard_view"], key


def test_usage_analytics_money_is_exact_and_shown_conservatively(usage, tasks):
    cost: dict[Key, Decimal | None] = defaultdict(lambda: None)
    baseline: dict[Key, Decimal | None] = defaultdict(lambda: None)
    saved: dict[Key, Decimal | None] = defaultdict(lambda: None)
    unpriced: dict[Key, int] = defaultdict(int)
    for tenant, _, status, actual, base, savings, is_priced, _, started in tasks:
        key = (tenant, utc_day(started))
        cost[key] = add(cost[key], actual)
        unpriced[key] += 0 if is_priced else 1
        if status == "completed":
            baseline[key] = add(baseline[key], base)
            saved[key] = add(saved[key], savings)
    shown_savings = 0
    for key, day in usage.items():
        assert day["total_cost_exact_usd"] == cost[key], key
        assert day["completed_baseline_exact_usd"] == baseline[key], key
        assert day["completed_savings_exact_usd"] == saved[key], key
        assert day["unpriced_tasks"] == unpriced[key], key
        assert day["total_cost"] == floor_cents(cost[key] or Decimal(0)), key
        exact, base = saved[key] or Decimal(0), baseline[key] or Decimal(0)
        conservative, _ = conservative_figures(exact, base)
        assert day["total_savings"] == conservative, key
        shown_savings += conservative > 0
    assert shown_savings > 0, "no day shows savings: the check above proved little"


def test_usage_analytics_and_daily_tenant_metrics_agree(warehouse, usage):
    for key, day in daily_metrics(warehouse.url, DAILY_METRICS).items():
        spent = [v for v in (day["completed_cost_usd"], day["other_status_cost"]) if v is not None]
        assert usage[key]["total_cost_exact_usd"] == (sum(spent) if spent else None), key
        assert usage[key]["completed_savings_exact_usd"] == day["completed_savings_usd"], key
        assert usage[key]["tasks_created"] == day["all_tasks_count"], key
        assert usage[key]["unpriced_tasks"] == day["unpriced_tasks_count"], key
