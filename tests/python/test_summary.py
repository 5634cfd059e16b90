"""The end of `routing-analytics summary` (and `make demo`): savings per tenant and the
provider comparison, checked against figures recomputed here from analytics.task_executions
with Python Decimal (exact sums; the conservative rules of issue 3 applied in Python)."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from conftest import cli, conservative_figures, rows

from routing_analytics.operations.summary import (
    PROVIDER_HEADERS,
    TENANT_HEADERS,
    _floor_ratio,
    _percent,
)

PROJECT_VARS = yaml.safe_load((Path(__file__).parents[2] / "dbt_project.yml").read_text())["vars"]
MIN_TASKS_FOR_EFFICIENCY = int(PROJECT_VARS.get("min_tasks_for_efficiency", 30))
WINDOW_DAYS = 30


@dataclass
class Totals:
    """Exact sums over one tenant's or one provider's tasks in the window."""

    completed: int = 0
    executions: int = 0
    completed_priced: int = 0
    cost: Decimal = Decimal(0)
    baseline: Decimal = Decimal(0)
    savings: Decimal = Decimal(0)
    duration_ms: int = 0
    durations: int = 0
    provider_costs: dict[str, list[Decimal]] = field(default_factory=lambda: defaultdict(list))


def floor_to(value: Decimal | Fraction, places: int) -> Decimal:
    return Decimal(math.floor(Fraction(value) * 10**places)).scaleb(-places)


def expected_figures(url: str) -> tuple[date, dict[str, Totals], dict[str, Totals]]:
    tasks = rows(
        url,
        """
        select tenant_id, provider_used, status, cost_actual, cost_baseline, savings,
            duration_ms, timestamp_start
        from analytics.task_executions
        """,
    )
    last_day = max(start.astimezone(UTC).date() for *_, start in tasks)
    first_day = last_day - timedelta(days=WINDOW_DAYS - 1)
    tenants: dict[str, Totals] = defaultdict(Totals)
    providers: dict[str, Totals] = defaultdict(Totals)
    for tenant, provider, status, cost, baseline, savings, duration, start in tasks:
        if not first_day <= start.astimezone(UTC).date() <= last_day:
            continue
        providers[provider].executions += 1
        if status != "completed":
            continue
        for totals in (tenants[tenant], providers[provider]):
            totals.completed += 1
            if duration is not None:
                totals.duration_ms += duration
                totals.durations += 1
            if cost is not None:
                totals.completed_priced += 1
                totals.cost += cost
                totals.baseline += baseline
                totals.savings += savings
        if cost is not None:
            tenants[tenant].provider_costs[provider].append(cost)
    return last_day, tenants, providers


def most_efficient(totals: Totals) -> str:
    """Lowest exact cost per completed priced task among providers with enough of them."""
    qualified = [
        (Fraction(sum(costs)) / len(costs), provider)
        for provider, costs in totals.provider_costs.items()
        if len(costs) >= MIN_TASKS_FOR_EFFICIENCY
    ]
    return min(qualified)[1] if qualified else "-"


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").removesuffix("%"))


def section(lines: list[str], title: str) -> list[list[str]]:
    """The rows of the table under the line starting with `title`, as cells."""
    start = next(index for index, line in enumerate(lines) if line.startswith(title))
    dashes = next(index for index in range(start, len(lines)) if lines[index].startswith("  --"))
    table: list[list[str]] = []
    for line in lines[dashes + 1 :]:
        if not line.startswith("  "):
            break
        table.append(cells(line))
    return table


def cells(line: str) -> list[str]:
    """Columns are separated by two spaces or more; a cell holds at most single spaces."""
    return re.split(r"\s{2,}", line.strip())


@pytest.fixture(scope="module")
def summary_lines(warehouse) -> list[str]:
    summarised = cli(warehouse.env, "summary")
    assert summarised.returncode == 0, summarised.stderr
    return summarised.stdout.splitlines()


@pytest.mark.integration
def test_summary_ends_with_the_tenant_table_and_the_provider_comparison(summary_lines):
    titles = [line for line in summary_lines if line.startswith(("Per tenant", "Per provider"))]
    assert [title.split(",")[0] for title in titles] == ["Per tenant", "Per provider"]
    tenant_title = summary_lines.index(titles[0])
    provider_title = summary_lines.index(titles[1])
    assert cells(summary_lines[tenant_title + 2]) == list(TENANT_HEADERS)
    assert cells(summary_lines[provider_title + 2]) == list(PROVIDER_HEADERS)
    assert cells(summary_lines[-1]) == section(summary_lines, "Per provider")[-1]


@pytest.mark.integration
def test_tenant_figures_match_task_executions(warehouse, summary_lines):
    last_day, tenants, _ = expected_figures(warehouse.url)
    first_day = last_day - timedelta(days=WINDOW_DAYS - 1)
    end = last_day + timedelta(days=1)
    window = f"the last 30 days: {first_day} 00:00 to {end} 00:00 UTC (end excluded)"
    assert any(window in line for line in summary_lines)
    assert any(f"`routing-analytics roi --as-of {end}`" in line for line in summary_lines)
    shown = {row[0]: row[1:] for row in section(summary_lines, "Per tenant")}
    assert set(shown) == set(tenants)
    for tenant, totals in tenants.items():
        tasks, cost, baseline, savings, percentage, provider = shown[tenant]
        expected_savings, expected_percentage = conservative_figures(
            totals.savings, totals.baseline
        )
        assert number(tasks) == totals.completed, tenant
        assert number(cost) == floor_to(totals.cost, 2), tenant
        assert number(baseline) == floor_to(totals.baseline, 2), tenant
        assert number(savings) == expected_savings, tenant
        assert (None if percentage == "-" else number(percentage)) == expected_percentage, tenant
        assert provider == most_efficient(totals), tenant
        for money in (cost, baseline, savings):
            assert money.rpartition(".")[2].isdigit() and len(money.rpartition(".")[2]) == 2


@pytest.mark.integration
def test_provider_comparison_matches_task_executions(warehouse, summary_lines):
    _, _, providers = expected_figures(warehouse.url)
    shown = {row[0]: row[1:] for row in section(summary_lines, "Per provider")}
    assert set(shown) == set(providers)
    for provider, totals in providers.items():
        completed, duration, cost, success_rate = shown[provider]
        assert number(completed) == totals.completed, provider
        assert number(duration) == totals.duration_ms // totals.durations, provider
        assert number(cost) == floor_to(Fraction(totals.cost) / totals.completed_priced, 4)
        assert number(success_rate) == floor_to(
            Fraction(100 * totals.completed, totals.executions), 2
        )


def test_figures_are_floored_never_rounded_up():
    assert _floor_ratio(Decimal("0.00029999"), 1, 4) == Decimal("0.0002")
    assert _floor_ratio(2, 3, 2) == Decimal("0.66")
    assert _floor_ratio(-1, 3, 2) == Decimal("-0.34")
    assert _floor_ratio(Decimal("19999999999999999999.9999"), 10**20, 0) == 0
    assert _floor_ratio(5, 0, 2) is None
    assert _percent(Decimal("47.00")) == "47%"
    assert _percent(Decimal("96.53")) == "96.53%"
    assert _percent(None) == "-"
