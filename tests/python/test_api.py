"""`routing-analytics serve`: the API as a client sees it, on a real uvicorn and PostgreSQL.

Each endpoint's figures are compared with the marts and analytics.calculate_roi read
directly (as the builder, tenant by tenant), a tenant without data sees nothing on any
route the OpenAPI document lists, every kind of bad token gets 401 and no data, and many
interleaved requests of different tenants on a small pool never mix.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

import httpx
import jwt
import psycopg
import pytest
from conftest import Service, cli, rows, running_service

from routing_analytics.api.tokens import DEVELOPMENT_SECRET_FILE

pytestmark = pytest.mark.integration

STRANGER = "tenant_without_data"


def floor(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR)


def calculate_roi(service: Service, tenant: str, days: str, as_of: str) -> dict[str, object]:
    with psycopg.connect(service.warehouse.url) as conn:
        cursor = conn.execute(
            f"select * from analytics.calculate_roi(%s, {days}, {as_of})", (tenant,)
        )
        names = [column.name for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_the_roi_is_calculate_roi_for_each_tenant(service):
    as_of = datetime.now(UTC).replace(microsecond=0).isoformat()
    for tenant in service.tenants:
        answer = service.get("/v1/roi", tenant, days=30, as_of=as_of).json()
        expected = calculate_roi(service, tenant, "30", f"timestamptz '{as_of}'")
        assert answer["tenant_id"] == tenant
        assert answer["window"] == {
            "start": expected["period_start"].astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "end": expected["period_end"].astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
        for name in ("total_cost", "baseline_cost", "total_savings", "savings_percentage"):
            assert Decimal(answer[name]) == expected[name], name
        for name in ("total_cost", "baseline_cost", "total_savings"):
            assert Decimal(answer[f"{name}_exact_usd"]) == expected[f"{name}_exact"], name
        for name in ("tasks_completed", "tasks_optimized", "unpriced_tasks", "complete"):
            assert answer[name] == expected[name], name
        assert expected["tasks_completed"] > 0
        snapshot = rows(
            service.warehouse.url,
            "select most_efficient_provider from analytics.customer_roi_snapshots"
            f" where tenant_id = '{tenant}' and snapshot_date = current_date",
        )
        assert answer["snapshot"]["most_efficient_provider"] == snapshot[0][0]


def test_the_savings_counter_is_this_months_roi(service):
    for tenant in service.tenants:
        answer = service.get("/v1/savings", tenant).json()
        expected = calculate_roi(
            service, tenant, "cast(extract(day from now() at time zone 'UTC') as integer)", "now()"
        )
        assert answer["window"]["start"].startswith(datetime.now(UTC).strftime("%Y-%m-01T00:00"))
        assert Decimal(answer["savings_usd"]) == expected["total_savings"]
        assert Decimal(answer["savings_exact_usd"]) == expected["total_savings_exact"]
        assert answer["tasks_completed"] == expected["tasks_completed"]
        shown = expected["total_savings"]
        assert answer["headline"] == (
            f"You saved ${shown:,.2f} this month"
            if shown >= 0
            else f"Routing cost you ${-shown:,.2f} more this month"
        )


def test_the_provider_comparison_is_recomputed_from_the_tasks(service):
    tenant = service.tenants[0]
    answer = service.get("/v1/providers", tenant, days=7).json()
    start, end = answer["window"]["start"], answer["window"]["end"]
    tasks = rows(
        service.warehouse.url,
        "select provider_used, status, duration_ms, cost_actual, is_priced"
        f" from analytics.task_executions where tenant_id = '{tenant}'"
        f" and timestamp_start >= '{start}' and timestamp_start < '{end}'",
    )
    assert tasks
    by_provider = {row["provider"]: row for row in answer["rows"]}
    assert set(by_provider) == {task[0] for task in tasks}
    for provider, row in by_provider.items():
        mine = [task for task in tasks if task[0] == provider]
        completed = [task for task in mine if task[1] == "completed"]
        durations = sorted(task[2] for task in completed if task[2] is not None)
        costs = [task[3] for task in completed if task[4]]
        assert row["tasks"] == len(mine)
        assert row["tasks_completed"] == len(completed)
        assert Decimal(row["success_rate_percentage"]) == floor(
            Decimal(100 * len(completed)) / len(mine), 2
        )
        assert row["p95_duration_ms"] == durations[math.ceil(0.95 * len(durations)) - 1]
        assert row["avg_duration_ms"] == sum(durations) // len(durations)
        assert Decimal(row["avg_cost_usd"]) == floor(sum(costs) / len(costs), 4)


def test_cost_trend_and_usage_are_the_usage_mart(service):
    tenant = service.tenants[1]
    trend = service.get("/v1/cost-trend", tenant, days=30).json()
    usage = service.get("/v1/usage", tenant).json()
    mart = rows(
        service.warehouse.url,
        "select date, total_cost, total_savings, completed_cost_exact_usd,"
        " completed_baseline_exact_usd, tasks_created, active_users"
        f" from analytics.usage_analytics where tenant_id = '{tenant}' order by date",
    )
    assert [row["date"] for row in trend["rows"]] == [day.isoformat() for (day, *_) in mart]
    for shown, (_, total_cost, savings, cost, baseline, *_rest) in zip(
        trend["rows"], mart, strict=True
    ):
        assert Decimal(shown["all_status_cost_usd"]) == total_cost
        assert Decimal(shown["savings_usd"]) == savings
        assert Decimal(shown["cost_usd"]) == floor(cost or Decimal(0), 2)
        assert Decimal(shown["baseline_usd"]) == floor(baseline or Decimal(0), 2)
    assert [(row["date"], row["tasks_created"], row["active_users"]) for row in usage["rows"]] == [
        (day.isoformat(), tasks, users) for (day, *_, tasks, users) in mart
    ]


def test_routing_counts_every_decision_of_the_window(service):
    tenant = service.tenants[2]
    answer = service.get("/v1/routing", tenant, days=30).json()
    start, end = answer["window"]["start"], answer["window"]["end"]
    expected = rows(
        service.warehouse.url,
        "select routing_reason, routing_strategy, count(*) from analytics.routing_decisions"
        f" where tenant_id = '{tenant}' and decided_at >= '{start}' and decided_at < '{end}'"
        " group by 1, 2",
    )
    assert expected
    assert Counter(
        {
            (row["routing_reason"], row["routing_strategy"]): row["decisions"]
            for row in answer["rows"]
        }
    ) == Counter({(reason, strategy): count for reason, strategy, count in expected})


def test_task_pages_cover_the_window_once_newest_first(service):
    tenant = service.tenants[0]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 97} | ({"cursor": cursor} if cursor else {})
        page = service.get("/v1/tasks", tenant, **params).json()
        seen += page["rows"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    start, end = page["window"]["start"], page["window"]["end"]
    expected = rows(
        service.warehouse.url,
        f"select id::text from analytics.task_executions where tenant_id = '{tenant}'"
        f" and timestamp_start >= '{start}' and timestamp_start < '{end}'",
    )
    assert sorted(row["id"] for row in seen) == sorted(task_id for (task_id,) in expected)
    assert pages == math.ceil(len(expected) / 97) + (len(expected) % 97 == 0)
    order = [(row["timestamp_start"], row["id"]) for row in seen]
    assert order == sorted(order, reverse=True)
    provider = seen[0]["provider_used"]
    filtered = service.get("/v1/tasks", tenant, provider=provider, limit=1000).json()["rows"]
    assert filtered
    assert {row["provider_used"] for row in filtered} == {provider}
    refused = service.get("/v1/tasks", tenant, cursor="not-a-cursor")
    assert refused.status_code == 422
    assert "cursor" in refused.json()["error"]


def test_lists_export_as_csv(service):
    tenant = service.tenants[0]
    headers = {
        "Authorization": f"Bearer {service.token(tenant)}",
        "Accept": "text/csv",
    }
    exported = httpx.get(service.base_url + "/v1/providers", headers=headers, timeout=30)
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    as_json = service.get("/v1/providers", tenant).json()["rows"]
    assert lines[0].split(",")[:3] == ["provider", "tasks", "tasks_completed"]
    assert [line.split(",")[0] for line in lines[1:]] == [row["provider"] for row in as_json]


def test_a_tenant_sees_no_other_tenants_rows_on_any_route(service):
    """Every GET route of the OpenAPI document, as a tenant with no rows of its own and
    without a token: no row, no money, no task of anyone."""
    document = httpx.get(service.base_url + "/openapi.json", timeout=30).json()
    routes = [path for path, verbs in document["paths"].items() if "get" in verbs]
    tenant_routes = [path for path in routes if path.startswith("/v1/")]
    assert len(tenant_routes) >= 7
    for path in tenant_routes:
        anonymous = httpx.get(service.base_url + path, timeout=30)
        assert anonymous.status_code == 401, path
        assert set(anonymous.json()) == {"error"}, path
        answer = service.get(path, STRANGER)
        assert answer.status_code == 200, (path, answer.text)
        document = answer.json()
        assert document.get("rows", []) == [], path
        for name, value in document.items():
            if name.endswith(("_usd", "_cost", "_savings")) or name.startswith("tasks"):
                assert value in (None, 0, "0", "0.00"), (path, name, value)
    owner, other = service.tenants[0], service.tenants[1]
    others = {
        task_id
        for (task_id,) in rows(
            service.warehouse.url,
            f"select id::text from analytics.task_executions where tenant_id = '{other}'",
        )
    }
    mine = service.get("/v1/tasks", owner, limit=1000).json()["rows"]
    assert mine
    assert not others & {row["id"] for row in mine}


def bad_tokens(service: Service) -> dict[str, str]:
    secret = service.warehouse.env["ANALYTICS_STATE_DIR"] + "/" + DEVELOPMENT_SECRET_FILE
    with open(secret, "rb") as handle:
        key = handle.read().strip()
    now = datetime.now(UTC)
    tenant = service.tenants[0]
    valid = {"tenant_id": tenant, "exp": now + timedelta(hours=1)}
    unsigned = jwt.encode(valid, None, algorithm="none")
    return {
        "unsigned (alg none)": unsigned,
        "wrongly signed": jwt.encode(valid, b"x" * 32, algorithm="HS256"),
        "expired": jwt.encode({**valid, "exp": now - timedelta(minutes=5)}, key, "HS256"),
        "not yet valid": jwt.encode({**valid, "nbf": now + timedelta(minutes=5)}, key, "HS256"),
        "without exp": jwt.encode({"tenant_id": tenant}, key, "HS256"),
        "without tenant": jwt.encode({"exp": valid["exp"]}, key, "HS256"),
        "with a tenant that is no tenant id": jwt.encode(
            {**valid, "tenant_id": "' or 1=1 --"}, key, "HS256"
        ),
        "with a tenant that is not a string": jwt.encode(
            {**valid, "tenant_id": [tenant]}, key, "HS256"
        ),
        "not a JWT": "not.a.jwt",
    }


def test_every_kind_of_bad_token_gets_401_and_no_data(service):
    for kind, token in bad_tokens(service).items():
        for path in ("/v1/roi", "/v1/tasks"):
            answer = httpx.get(
                service.base_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            assert answer.status_code == 401, (kind, path, answer.text)
            assert set(answer.json()) == {"error"}, kind
            assert answer.headers["www-authenticate"] == "Bearer"
    # The tenant cannot be chosen by a query parameter (refused: the route does not take
    # one) or by a header (ignored).
    owner, other = service.tenants[0], service.tenants[1]
    owner_headers = {"Authorization": f"Bearer {service.token(owner)}"}
    by_parameter = httpx.get(
        service.base_url + "/v1/roi",
        params={"tenant_id": other, "tenant": other},
        headers=owner_headers,
        timeout=30,
    )
    assert by_parameter.status_code == 422
    assert set(by_parameter.json()) == {"error"}
    assert "'tenant', 'tenant_id'" in by_parameter.json()["error"]
    by_header = httpx.get(
        service.base_url + "/v1/roi", headers={**owner_headers, "X-Tenant-Id": other}, timeout=30
    )
    assert by_header.json()["tenant_id"] == owner


def test_a_misspelt_filter_is_refused_not_ignored(service):
    tenant = service.tenants[0]
    misspelt = service.get("/v1/tasks", tenant, provder="openai")
    assert misspelt.status_code == 422
    assert "'provder'" in misspelt.json()["error"]
    assert "provider" in misspelt.json()["error"]


def test_interleaved_requests_of_different_tenants_never_mix(service):
    """300 requests of 3 tenants, 30 at a time, on a pool of 3 connections: every answer is
    its own tenant's."""
    expected = {
        tenant: service.get("/v1/roi", tenant, days=30).json() for tenant in service.tenants
    }
    tokens = {tenant: service.token(tenant) for tenant in service.tenants}

    async def ask_all() -> list[tuple[str, dict]]:
        limit = asyncio.Semaphore(30)
        async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as client:

            async def ask(tenant: str) -> tuple[str, dict]:
                async with limit:
                    answer = await client.get(
                        "/v1/roi",
                        params={"days": 30},
                        headers={"Authorization": f"Bearer {tokens[tenant]}"},
                    )
                    return tenant, answer.json()

            order = [service.tenants[i % len(service.tenants)] for i in range(300)]
            return await asyncio.gather(*(ask(tenant) for tenant in order))

    answers = asyncio.run(ask_all())
    assert len(answers) == 300
    for tenant, answer in answers:
        assert answer == expected[tenant]


def test_readyz_says_so_until_the_marts_are_published(cli_env):
    with running_service(cli_env) as base_url:
        assert httpx.get(base_url + "/healthz", timeout=30).json() == {"status": "ok"}
        unready = httpx.get(base_url + "/readyz", timeout=30)
        assert unready.status_code == 503
        assert unready.json() == {"error": "the marts are not published yet"}


def test_the_development_secret_is_made_once_for_its_owner_only(cli_env, tmp_path):
    first = cli(cli_env, "token", "--tenant", "tenant_0001", "--days", "2")
    second = cli(cli_env, "token", "--tenant", "tenant_0002")
    assert first.returncode == second.returncode == 0, first.stderr
    secret_path = tmp_path / "state" / DEVELOPMENT_SECRET_FILE
    assert oct(os.stat(secret_path).st_mode & 0o777) == "0o600"
    key = secret_path.read_bytes().strip()
    claims = jwt.decode(first.stdout.strip(), key, algorithms=["HS256"])
    assert claims["tenant_id"] == "tenant_0001"
    assert (
        timedelta(days=2) - timedelta(minutes=1)
        < (datetime.fromtimestamp(claims["exp"], UTC) - datetime.now(UTC))
        <= timedelta(days=2)
    )
    assert (
        jwt.decode(second.stdout.strip(), key, algorithms=["HS256"])["tenant_id"] == "tenant_0002"
    )
    refused = cli(cli_env, "token", "--tenant", "Tenant 1")
    assert refused.returncode == 2
    assert "is not a tenant id" in refused.stderr


def test_the_load_test_counts_every_request_and_fails_on_a_refused_one(service):
    """`make bench BENCH=api` on a few clients: every request sent is counted, per endpoint
    and phase; a service that refuses the clients' tokens fails it with the reason."""
    command = [sys.executable, "-m", "routing_analytics.tools.load_test", "--clients", "6"]
    command += ["--requests", "9", "--think-ms", "5", "--base-url", service.base_url]
    env = service.warehouse.env
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    counts = re.findall(r"^  (GET .+?|all)\s+(\d+)\s+(\d+)\s", run.stdout, re.MULTILINE)
    per_phase = [(label.strip(), int(sent), int(failed)) for label, sent, failed in counts]
    assert len(per_phase) == 2 * 10
    assert [row for row in per_phase if row[0] != "all"] == [
        (row[0], 6, 0) for row in per_phase if row[0] != "all"
    ]
    assert [row for row in per_phase if row[0] == "all"] == [("all", 54, 0)] * 2

    strange_secret = {**env, "ANALYTICS_JWT_SECRET": "another-secret-of-at-least-32-bytes!"}
    refused = subprocess.run(
        command, env=strange_secret, capture_output=True, text=True, check=False
    )
    assert refused.returncode != 0
    assert "answered 401 before the test began" in refused.stderr
