"""The ROI calculator: `routing-analytics roi` and analytics.calculate_roi against figures
recomputed here in Python (Decimal) from analytics.task_executions, by the documented rules."""

from __future__ import annotations

import json
import math
import re
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

import psycopg
import pytest
from conftest import built_database, cli, cli_environment, conservative_figures, rows

from routing_analytics.tools.generate import GenerateOptions

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
    shown, percent = conservative_figures(saved, baseline)
    optimized = sum(1 for t in priced if t[3] > 0)
    return {
        "total_cost": floor(cost),
        "baseline_cost": floor(baseline),
        "total_savings": shown,
        "savings_percentage": percent,
        "tasks_completed": len(completed),
        "tasks_optimized": optimized,
        "avg_savings_per_task": (
            floor(saved / optimized, "0.0001") if shown > 0 and optimized else None
        ),
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
        assert (None if shown[name] is None else Decimal(str(shown[name]))) == value, name
    assert shown["complete"] is True
    assert expected["tasks_completed"] > 0
    assert expected["total_savings"] > 0


def test_roi_text_output_names_the_period(warehouse, tenant):
    result = cli(warehouse.env, "roi", "--tenant", tenant, "--days", "2", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert (
        f"ROI for tenant {tenant}, the last 2 days: 2026-11-19 00:00 to 2026-11-21 00:00 UTC"
        " (end excluded)"
    ) in result.stdout
    expected = expected_roi(warehouse.url, tenant, 2)
    assert "Savings (USD; a loss is negative)" in result.stdout
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


def test_no_task_in_the_period_is_a_clear_error(warehouse, tenant):
    result = cli(
        warehouse.env, "roi", "--tenant", tenant, "--days", "3", "--as-of", "2020-01-01T00:00:00Z"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert (
        f"no task executions for tenant {tenant!r} from 2019-12-29 00:00 to 2020-01-01 00:00"
    ) in lines[0]


def test_the_function_sums_only_what_its_caller_may_see(warehouse, tenant):
    """SECURITY INVOKER: a tenant reader asking for another tenant gets an empty period."""
    query = (
        "select tasks_completed, total_cost_exact, total_savings_exact"
        " from analytics.calculate_roi(%s, 30, %s)"
    )
    (other,) = rows(
        warehouse.url,
        f"select tenant_id from analytics.task_executions where tenant_id <> '{tenant}' limit 1",
    )[0]
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        own_as_builder = conn.execute(query, (tenant, AS_OF)).fetchone()
        other_as_builder = conn.execute(query, (other, AS_OF)).fetchone()
        conn.execute("set role analytics_reader")
        conn.execute("select set_config('app.tenant_id', %s, false)", (tenant,))
        own_as_reader = conn.execute(query, (tenant, AS_OF)).fetchone()
        other_as_reader = conn.execute(query, (other, AS_OF)).fetchone()
    assert own_as_reader == own_as_builder
    assert own_as_builder is not None and own_as_builder[0] > 0
    assert other_as_builder is not None and other_as_builder[0] > 0
    assert other_as_reader == (0, None, None)


# --- customer_roi_snapshots recomputed from the tasks, rule by rule --------------------------

MIN_TASKS_FOR_EFFICIENCY = 30
MIN_TASKS_FOR_PRODUCTIVITY = 30
TREND_STABLE_BAND = Fraction(5, 100)


def floor_fraction(value: Fraction, places: int = 0) -> Decimal:
    scale = 10**places
    return Decimal(math.floor(value * scale)) / scale


def trend(current: Decimal, previous: Decimal) -> str:
    if previous == 0:
        return "increasing" if current > 0 else "decreasing" if current < 0 else "stable"
    if abs(Fraction(current) - Fraction(previous)) < TREND_STABLE_BAND * abs(Fraction(previous)):
        return "stable"
    return "increasing" if current > previous else "decreasing"


def expected_snapshot(window: list, previous: list, both: list, default: str | None) -> dict:
    completed = [t for t in window if t["status"] == "completed"]
    priced = [t for t in completed if t["is_priced"]]
    timed = [t for t in completed if t["duration_ms"] is not None]
    others = [t for t in window if t["status"] != "completed" and t["is_priced"]]
    cost = sum((t["cost_actual"] for t in priced), Decimal(0)) if priced else None
    baseline = sum((t["cost_baseline"] for t in priced), Decimal(0)) if priced else None
    saved = sum((t["savings"] for t in priced), Decimal(0)) if priced else None
    shown_base, shown_saved = baseline or Decimal(0), saved or Decimal(0)
    savings_shown, percentage_shown = conservative_figures(shown_saved, shown_base)
    per_provider: dict[str, list] = {}
    for task in completed:
        per_provider.setdefault(task["provider_used"], []).append(task)
    priced_per_provider = {
        provider: [t for t in tasks if t["is_priced"]] for provider, tasks in per_provider.items()
    }
    ranked = sorted(
        (Fraction(sum(t["cost_actual"] for t in tasks)) / len(tasks), provider)
        for provider, tasks in priced_per_provider.items()
        if len(tasks) >= MIN_TASKS_FOR_EFFICIENCY
    )
    routed, default_pace = 0, Fraction(0)
    for task_type in {t["task_type"] for t in timed}:
        of_type = [t for t in timed if t["task_type"] == task_type]
        on_default = [t for t in of_type if t["provider_used"] == default]
        if default is None or len(on_default) < MIN_TASKS_FOR_PRODUCTIVITY:
            continue
        routed += sum(t["duration_ms"] for t in of_type)
        pace = Fraction(len(of_type) * sum(t["duration_ms"] for t in on_default), len(on_default))
        default_pace += Fraction(floor_fraction(pace, 6))
    previous_priced = [t for t in previous if t["status"] == "completed" and t["is_priced"]]
    previous_cost = sum((t["cost_actual"] for t in previous_priced), Decimal(0))
    previous_saved = sum((t["savings"] for t in previous_priced), Decimal(0))
    return {
        "total_cost_30d": floor_fraction(Fraction(cost or 0), 2),
        "total_baseline_30d": floor_fraction(Fraction(shown_base), 2),
        "total_savings_30d": savings_shown,
        "savings_percentage_30d": percentage_shown,
        "total_cost_30d_exact_usd": cost,
        "total_baseline_30d_exact_usd": baseline,
        "total_savings_30d_exact_usd": saved,
        "other_status_cost_30d_exact_usd": (
            sum((t["cost_actual"] for t in others), Decimal(0)) if others else None
        ),
        "tasks_completed_30d": len(completed),
        "unpriced_tasks_30d": sum(1 for t in window if not t["is_priced"]),
        "avg_task_duration_30d": (
            sum(t["duration_ms"] for t in timed) // len(timed) if timed else None
        ),
        "productivity_gain_30d": (
            floor_fraction(100 * (default_pace - routed) / default_pace) if default_pace else None
        ),
        "provider_usage_distribution": {
            provider: floor_fraction(Fraction(100 * len(tasks), len(completed)), 2)
            for provider, tasks in per_provider.items()
        },
        "most_efficient_provider": ranked[0][1] if ranked else None,
        "cost_trend": trend(cost or Decimal(0), previous_cost) if previous_priced else None,
        "savings_trend": trend(saved or Decimal(0), previous_saved) if previous_priced else None,
        "created_at": max((t["created_at"] for t in both), default=None),
    }


def test_snapshots_follow_the_rules(warehouse):
    """Every row of customer_roi_snapshots equals the rules applied in Python (Decimal and
    Fraction, no rounding but the documented floors) to analytics.task_executions: one row
    per tenant per day from its first task to the newest task day."""
    names = [
        "tenant_id",
        "task_type",
        "provider_used",
        "status",
        "duration_ms",
        "cost_actual",
        "cost_baseline",
        "savings",
        "is_priced",
        "created_at",
    ]
    with psycopg.connect(warehouse.url) as conn:
        tasks = [
            {**dict(zip(names, row[:-1], strict=True)), "date": row[-1]}
            for row in conn.execute(
                f"select {', '.join(names)}, cast(timestamp_start at time zone 'UTC' as date)"
                " from analytics.task_executions"
            )
        ]
        defaults = dict(
            conn.execute("select tenant_id, default_provider_key from staging.stg_router__tenants")
        )
        cursor = conn.execute(
            "select *, cast(provider_usage_distribution as text) as distribution_text"
            " from analytics.customer_roi_snapshots"
        )
        columns = [column.name for column in cursor.description or ()]
        found = {(row[1], row[2]): dict(zip(columns, row, strict=True)) for row in cursor}
    last_date = max(t["date"] for t in tasks)
    expected_keys = set()
    for tenant_id in {t["tenant_id"] for t in tasks}:
        own = [t for t in tasks if t["tenant_id"] == tenant_id]
        day = min(t["date"] for t in own)
        while day <= last_date:
            expected_keys.add((tenant_id, day))
            snapshot = found.get((tenant_id, day))
            assert snapshot is not None, (tenant_id, day)
            expected = expected_snapshot(
                [t for t in own if day - timedelta(days=29) <= t["date"] <= day],
                [t for t in own if day - timedelta(days=59) <= t["date"] <= day - timedelta(30)],
                [t for t in own if day - timedelta(days=59) <= t["date"] <= day],
                defaults.get(tenant_id),
            )
            snapshot["provider_usage_distribution"] = json.loads(
                snapshot["distribution_text"], parse_float=Decimal
            )
            for name, value in expected.items():
                assert snapshot[name] == value, (tenant_id, day, name, snapshot[name], value)
            day += timedelta(days=1)
    assert set(found) == expected_keys
    assert len(expected_keys) > len({t["tenant_id"] for t in tasks})


# --- a loss is shown as a loss, the same in every output -------------------------------------

LOSS_TENANT = "tenant_loss"
LOSS_DAY = "2026-11-20"


def land_a_losing_tenant(url: str, generated) -> None:
    """A tenant whose two completed tasks cost 1.00 each against a reported baseline of
    0.243 each: savings -1.514 over a baseline of 0.486 (-311.5 %)."""
    folder = generated.files["task_executions"][0].parent / "loss"
    folder.mkdir()
    (folder / "tenants_loss.csv").write_text(
        "tenant_id,default_provider,default_model,plan,created_at\n"
        f"{LOSS_TENANT},openai,,pro,2026-01-01T00:00:00Z\n"
    )
    with generated.files["task_executions"][0].open() as lines:
        template = json.loads(next(lines))
    template.pop("routing_decision", None)
    with (folder / "task_executions_loss.jsonl").open("w") as out:
        for number in (1, 2):
            record = {
                **template,
                "id": f"00000000-0000-4000-8000-00000000105{number}",
                "tenant_id": LOSS_TENANT,
                "status": "completed",
                "timestamp_start": f"{LOSS_DAY}T10:0{number}:00Z",
                "timestamp_end": f"{LOSS_DAY}T10:0{number}:10Z",
                "duration_ms": 10000,
                "cost_actual": "1.00",
                "cost_baseline": "0.243",
            }
            out.write(json.dumps(record) + "\n")
    env = cli_environment(url, folder)
    loaded = cli(env, "load", str(folder))
    assert loaded.returncode == 0, loaded.stderr


def test_a_loss_is_a_floored_negative_in_every_output(server_url, tmp_path):
    options = GenerateOptions(
        out_dir=tmp_path / "data",
        tenants=3,
        days=2,
        executions=1_200,
        seed=17,
        end_date=date.fromisoformat(LOSS_DAY),
    )
    with built_database(server_url, tmp_path, options, land_a_losing_tenant) as built:
        exact = rows(
            built.url,
            f"select sum(savings), sum(cost_baseline) from analytics.task_executions"
            f" where tenant_id = '{LOSS_TENANT}'",
        )[0]
        assert exact == (Decimal("-1.514"), Decimal("0.486"))
        assert conservative_figures(*exact) == (Decimal("-1.52"), Decimal("-312"))
        snapshot = rows(
            built.url,
            "select total_savings_30d, savings_percentage_30d from analytics.customer_roi_snapshots"
            f" where tenant_id = '{LOSS_TENANT}' and snapshot_date = date '{LOSS_DAY}'",
        )
        assert snapshot == [(Decimal("-1.52"), Decimal("-312"))]
        usage = rows(
            built.url,
            "select total_savings from analytics.usage_analytics"
            f" where tenant_id = '{LOSS_TENANT}' and date = date '{LOSS_DAY}'",
        )
        assert usage == [(Decimal("-1.52"),)]
        as_of = "2026-11-21"
        function = rows(
            built.url,
            "select total_savings, savings_percentage, avg_savings_per_task, complete"
            f" from analytics.calculate_roi('{LOSS_TENANT}', 30, '{as_of}')",
        )
        assert function == [(Decimal("-1.52"), Decimal("-312"), None, True)]
        roi = cli(built.env, "roi", "--tenant", LOSS_TENANT, "--as-of", as_of, "--json")
        assert roi.returncode == 0, roi.stderr
        shown = json.loads(roi.stdout)
        assert (shown["total_savings"], shown["savings_percentage"]) == ("-1.52", "-312.00")
        text = cli(built.env, "roi", "--tenant", LOSS_TENANT, "--as-of", as_of)
        assert re.search(r"Savings \(USD; a loss is negative\)\s+-1\.52$", text.stdout, re.M)
        summary = cli(built.env, "summary")
        assert summary.returncode == 0, summary.stderr
        row = next(line for line in summary.stdout.splitlines() if LOSS_TENANT in line)
        assert re.split(r"\s{2,}", row.strip())[4:6] == ["-1.52", "-312%"]
