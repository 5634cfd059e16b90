"""`make bench BENCH=api`: the API and the dashboard under 200 concurrent clients on loopback.

Against the configured warehouse (the demo's: run `make demo` first), it starts
`routing-analytics serve` on a free loopback port, mints a development token per tenant and
runs two bounded phases, each capped in requests and in time:

- paced: CLIENTS clients, each on its own connection and tenant, sending the dashboard's and
  the API's requests in a shuffled mix with a random pause (mean THINK) between requests, as
  people reading a dashboard do;
- burst: the same clients with no pause at all, so the service is saturated: what a
  thundering herd costs, and the throughput.

It prints, per endpoint and phase, the requests, errors and the p50/p95/max latency, and
exits 1 when any request failed (a transport error or a status other than 200).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp
import httpx
import psycopg

from routing_analytics.api.auth import development_token_for
from routing_analytics.api.database import POOL_SIZE_VAR
from routing_analytics.platform import db
from routing_analytics.platform.config import Settings, load_settings
from routing_analytics.platform.errors import UserError
from routing_analytics.platform.throwaway import free_port
from routing_analytics.warehouse.relations import TASK_EXECUTIONS

# (label, path, query parameters, extra headers): what the dashboard and an API client ask.
ENDPOINTS: tuple[tuple[str, str, dict[str, str], dict[str, str]], ...] = (
    ("GET /v1/savings", "/v1/savings", {}, {}),
    ("GET /v1/roi", "/v1/roi", {"days": "30"}, {}),
    ("GET /v1/providers", "/v1/providers", {"days": "7"}, {}),
    ("GET /v1/cost-trend", "/v1/cost-trend", {"days": "30"}, {}),
    ("GET /v1/routing", "/v1/routing", {"days": "30"}, {}),
    ("GET /v1/usage", "/v1/usage", {}, {}),
    ("GET /v1/tasks", "/v1/tasks", {"limit": "100"}, {}),
    ("GET /v1/tasks (CSV)", "/v1/tasks", {"limit": "100"}, {"Accept": "text/csv"}),
    ("GET / (dashboard)", "/", {}, {}),
)


@dataclass
class Phase:
    name: str
    think_seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    wall_seconds: float = 0.0
    cut_short: bool = False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20, help="per client and phase")
    parser.add_argument("--think-ms", type=int, default=1000, help="mean pause when paced")
    parser.add_argument("--seconds", type=int, default=300, help="time cap per phase")
    parser.add_argument("--pool", type=int, default=10, help="the service's connection pool")
    parser.add_argument("--base-url", help="a service already running (else one is started)")
    args = parser.parse_args()
    settings = load_settings()
    tenants = _tenants(settings)
    tokens = {t: development_token_for(settings.state_dir, t, timedelta(hours=2)) for t in tenants}
    print(
        f"load test: {args.clients} clients, {len(tenants)} tenants, {args.requests} requests"
        f" per client and phase (cap {args.seconds} s), pool of {args.pool} connections"
    )
    phases = [
        Phase(f"paced (mean pause {args.think_ms} ms)", args.think_ms / 1000),
        Phase("burst (no pause)", 0.0),
    ]
    with _service(args.pool, args.base_url) as base_url:
        asyncio.run(_warm_up(base_url, tokens))
        for phase in phases:
            asyncio.run(_run_phase(phase, base_url, tokens, args))
            _print_phase(phase)
    failed = sum(len(errors) for phase in phases for errors in phase.errors.values())
    if failed:
        print(f"load test: {failed} requests failed", file=sys.stderr)
    return 1 if failed else 0


def _tenants(settings: Settings) -> list[str]:
    try:
        with db.connect(settings) as conn:
            found = conn.execute(
                f"select distinct tenant_id from {TASK_EXECUTIONS} order by 1"
            ).fetchall()
    except psycopg.errors.UndefinedTable:
        found = []
    if not found:
        raise UserError("load test: no published tasks; run `make demo` first")
    return [row[0] for row in found]


@contextmanager
def _service(pool: int, running: str | None) -> Iterator[str]:
    """`routing-analytics serve` on a free loopback port, until the block ends."""
    if running:
        yield running.rstrip("/")
        return
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "routing_analytics", "serve", "--port", str(port)],
        env={**os.environ, POOL_SIZE_VAR: str(pool)},
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _ready(base_url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise UserError("load test: `routing-analytics serve` did not become ready")
            time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _ready(base_url: str) -> bool:
    try:
        return httpx.get(base_url + "/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


async def _warm_up(base_url: str, tokens: dict[str, str]) -> None:
    """Each endpoint once per tenant, unmeasured: caches and the pool filled."""
    async with aiohttp.ClientSession(base_url) as session:
        for token in tokens.values():
            for label, path, params, headers in ENDPOINTS:
                status, body = await _get(session, path, params, headers, token)
                if status != 200:
                    raise UserError(
                        f"load test: {label} answered {status} before the test began:"
                        f" {body[:200].decode(errors='replace')}"
                    )


async def _run_phase(
    phase: Phase, base_url: str, tokens: dict[str, str], args: argparse.Namespace
) -> None:
    chosen = list(tokens.values())
    started = time.monotonic()
    deadline = started + args.seconds
    connector = aiohttp.TCPConnector(limit=args.clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:

        async def one_client(number: int) -> None:
            draw = random.Random(number)
            token = chosen[number % len(chosen)]
            mix = [ENDPOINTS[(number + i) % len(ENDPOINTS)] for i in range(args.requests)]
            draw.shuffle(mix)
            for label, path, params, headers in mix:
                if phase.think_seconds:
                    await asyncio.sleep(draw.uniform(0, 2 * phase.think_seconds))
                if time.monotonic() > deadline:
                    phase.cut_short = True
                    return
                await _timed_get(phase, session, label, path, params, headers, token)

        await asyncio.gather(*(one_client(number) for number in range(args.clients)))
    phase.wall_seconds = time.monotonic() - started


async def _timed_get(
    phase: Phase,
    session: aiohttp.ClientSession,
    label: str,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    token: str,
) -> None:
    began = time.perf_counter()
    try:
        status, body = await _get(session, path, params, headers, token)
    except (aiohttp.ClientError, TimeoutError) as error:
        phase.errors[label].append(f"{type(error).__name__}: {error}")
        return
    phase.latencies[label].append(time.perf_counter() - began)
    if status != 200:
        phase.errors[label].append(f"{status}: {body[:200]!r}")


async def _get(
    session: aiohttp.ClientSession,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    token: str,
) -> tuple[int, bytes]:
    """One request as the token's tenant, read to the end: its status and body."""
    async with session.get(
        path, params=params, headers={**headers, "Authorization": f"Bearer {token}"}
    ) as answer:
        return answer.status, await answer.read()


def _print_phase(phase: Phase) -> None:
    done = sum(len(times) for times in phase.latencies.values())
    capped = " - cut short by the time cap" if phase.cut_short else ""
    rate = done / phase.wall_seconds
    print(f"\n{phase.name}: {done} requests in {phase.wall_seconds:.1f} s ({rate:.0f}/s){capped}")
    print(f"  {'endpoint':<22} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8}", end="")
    print(f" {'max ms':>8}")
    everything: list[float] = []
    for label, *_ in ENDPOINTS:
        times = phase.latencies[label]
        everything += times
        print(f"  {label:<22} {len(times):>8} {len(phase.errors[label]):>6} {_figures(times)}")
    errors = sum(len(found) for found in phase.errors.values())
    print(f"  {'all':<22} {len(everything):>8} {errors:>6} {_figures(everything)}")
    for label, found in phase.errors.items():
        for error in found[:3]:
            print(f"  error {label}: {error}", file=sys.stderr)


def _figures(times: list[float]) -> str:
    if len(times) < 2:
        return f"{'-':>8} {'-':>8} {'-':>8}"
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return f"{cuts[49] * 1000:>8.1f} {cuts[94] * 1000:>8.1f} {max(times) * 1000:>8.1f}"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UserError as error:
        sys.exit(f"{error}")
