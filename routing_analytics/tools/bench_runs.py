"""`make bench BENCH=run SCALE=1M`: the scheduled run at a data-set size, end to end.

In a throwaway server: generate SCALE task executions over 30 days and time the first
`routing-analytics run` (load, full build, checks, publish); then generate two next hours
and the next day on top (`generate --start --end`, the same tenants and prices) and time a
`run` of each (the first of them also seeds the standby marts), with the dbt nodes that took
longest in it; then time the dashboard
queries of analyses/ as a tenant reader (row-level security, app.tenant_id set), ROUNDS
times each, and print p50/p95 beside those of the same questions asked the naive way (the
design document's plain task table with its indexes, NAIVE_TABLE); and the size of each
schema.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from routing_analytics.operations.check import BUSIEST_TENANT
from routing_analytics.platform.config import DATABASE_URL_VAR, load_settings
from routing_analytics.platform.throwaway import throwaway_database, throwaway_server
from routing_analytics.tools.generate import GenerateOptions, generate
from routing_analytics.warehouse.relations import CALCULATE_ROI, TASK_EXECUTIONS, USAGE_ANALYTICS

# 30k is a smoke test of the bench itself.
SCALES = {
    "30k": 30_000,
    "300k": 300_000,
    "1M": 1_000_000,
    "3M": 3_000_000,
    "10M": 10_000_000,
    "100M": 100_000_000,
}
DAYS = 30
TENANTS = 20
SEED = 42
ROUNDS = 50

# The naive way, for comparison: the design document's own table (1.1) with its indexes
# (4.1), one plain table of every task, asked the design's questions (6.1, 7.1-7.3) directly.
NAIVE_TABLE = (
    "create schema naive",
    f"""
    create table naive.task_executions as
    select
        id, tenant_id, task_type, provider_used, model, status, duration_ms, tokens_used,
        cost_actual, cost_baseline, savings, timestamp_start, timestamp_end
    from {TASK_EXECUTIONS}
    """,
    "create index idx_task_exec_tenant_time"
    " on naive.task_executions (tenant_id, timestamp_start desc)",
    "create index idx_task_exec_provider on naive.task_executions (tenant_id, provider_used)",
    "create index idx_task_exec_cost"
    " on naive.task_executions (tenant_id, timestamp_start, cost_actual, savings)",
    "create index idx_task_exec_status on naive.task_executions (status, timestamp_start)",
    "vacuum analyze naive.task_executions",
)
NAIVE_TENANT = "tenant_id = current_setting('app.tenant_id')"
NAIVE_QUERIES = {
    "monthly_savings_counter": f"""
        select sum(savings) from naive.task_executions
        where {NAIVE_TENANT} and timestamp_start >= date_trunc('month', now())
            and status = 'completed'
    """,
    "provider_comparison": f"""
        select provider_used, count(id), avg(duration_ms), avg(cost_actual)
        from naive.task_executions
        where {NAIVE_TENANT} and timestamp_start >= now() - interval '7 days'
            and status = 'completed'
        group by provider_used
    """,
    "cost_trend": f"""
        select date(timestamp_start), sum(cost_actual), sum(savings)
        from naive.task_executions
        where {NAIVE_TENANT} and timestamp_start >= now() - interval '30 days'
            and status = 'completed'
        group by 1 order by 1
    """,
    "calculate_roi_30_days": f"""
        select sum(cost_actual), sum(cost_baseline), sum(savings),
            count(*) filter (where savings > 0)
        from naive.task_executions
        where {NAIVE_TENANT} and timestamp_start >= now() - interval '30 days'
            and status = 'completed'
    """,
}

SCHEMA_SIZES = """
select namespace.nspname, sum(pg_total_relation_size(class.oid))
from pg_catalog.pg_class as class
inner join pg_catalog.pg_namespace as namespace on namespace.oid = class.relnamespace
where class.relkind in ('r', 'p', 'm') and namespace.nspname not like 'pg_%'
  and namespace.nspname <> 'information_schema'
group by 1 order by 2 desc
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=SCALES, default="1M")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        help="the data set's last day (default: two days ago); the last day of a month gives"
        " a run's weeks and months all their days",
    )
    args = parser.parse_args()
    executions = SCALES[args.scale]
    # By default the window ends at the start of yesterday: the next hour and the next day
    # are (mostly) in the past, and the dashboards' "this month" has data.
    end_date = args.end_date or datetime.now(UTC).date() - timedelta(days=2)
    if end_date >= datetime.now(UTC).date() - timedelta(days=1):
        parser.error("--end-date must be two days ago or earlier: the new day follows it")
    window_end = datetime.combine(end_date + timedelta(days=1), datetime.min.time(), UTC)
    with (
        tempfile.TemporaryDirectory() as folder,
        throwaway_server(load_settings()) as server_url,
        throwaway_database(server_url) as url,
    ):
        env = {**os.environ, DATABASE_URL_VAR: url, "ANALYTICS_STATE_DIR": f"{folder}/state"}
        print(
            f"scale {args.scale}: {executions:,} executions, {TENANTS} tenants, {DAYS} days"
            f" to {end_date}"
        )
        inbox = Path(folder) / "inbox"
        _generate(inbox, end_date, executions)
        _timed_run(env, inbox, "first run (load, full build, checks, publish)")
        hourly = executions // (DAYS * 24)
        # The first run after the first publish also seeds the standby marts with a copy of
        # the live ones (docs/publishing.md); the runs after it are the steady state.
        spans = (
            ("the first new hour (seeds the standby)", window_end, timedelta(hours=1), hourly),
            ("one new hour", window_end + timedelta(hours=1), timedelta(hours=1), hourly),
            ("one new day", window_end + timedelta(hours=2), timedelta(days=1), executions // DAYS),
        )
        for label, start, length, count in spans:
            _generate(inbox, end_date, count, start, start + length)
            _timed_run(env, inbox, f"run with {label} ({count:,} executions)")
        _dashboard_queries(env, url, Path(folder) / "compiled")
        with psycopg.connect(url) as conn:
            for schema, size in conn.execute(SCHEMA_SIZES).fetchall():
                print(f"size {schema}: {float(size) / 1e6:,.0f} MB")
    return 0


def _generate(
    inbox: Path,
    end_date: date,
    executions: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> None:
    shutil.rmtree(inbox, ignore_errors=True)  # what the last run loaded
    started = time.perf_counter()
    generate(
        GenerateOptions(
            out_dir=inbox,
            tenants=TENANTS,
            days=DAYS,
            executions=executions,
            seed=SEED,
            end_date=end_date,
            start=start,
            end=end,
        )
    )
    print(f"generated {executions:,} executions in {time.perf_counter() - started:.1f} s")


# A node's result line in dbt's output: "12 of 66 OK created ... model.name ..... [... in 1.23s]".
DBT_NODE_RESULT = re.compile(
    r"\d+ of \d+ (?:OK|PASS|WARN|ERROR|FAIL)\b.*?(\S+) \.* ?\[.*? in (\d+(?:\.\d+)?)s\]"
)
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
SLOWEST_NODES = 8


def slowest_nodes(dbt_output: str, count: int = SLOWEST_NODES) -> list[tuple[str, float]]:
    """The `count` dbt nodes that took longest, from a command's output (dbt's own lines)."""
    found = (DBT_NODE_RESULT.search(ANSI_COLOUR.sub("", line)) for line in dbt_output.splitlines())
    timed = [(match.group(1), float(match.group(2))) for match in found if match]
    return sorted(timed, key=lambda node: node[1], reverse=True)[:count]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "routing_analytics", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def _timed_run(env: dict[str, str], inbox: Path, label: str) -> None:
    started = time.perf_counter()
    result = _cli(env, "run", str(inbox))
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-2000:])
        raise SystemExit(f"bench: {label} failed (exit {result.returncode})")
    print(f"{label}: {seconds:.1f} s")
    nodes = ", ".join(f"{name} {took:.1f}" for name, took in slowest_nodes(result.stdout))
    print(f"  slowest dbt nodes, s: {nodes}")


def _dashboard_queries(env: dict[str, str], url: str, target: Path) -> None:
    compiled = _cli(
        env, "dbt", "--", "compile", "--select", "resource_type:analysis",
        "--target-path", str(target), "--quiet",
    )  # fmt: skip
    if compiled.returncode != 0:
        raise SystemExit(f"bench: compiling the dashboard queries failed\n{compiled.stdout}")
    queries = sorted((target / "compiled").rglob("analyses/*.sql"))
    queries_by_name = {query.stem: query.read_text() for query in queries}
    queries_by_name["calculate_roi_30_days"] = (
        f"select * from {CALCULATE_ROI}(current_setting('app.tenant_id'), 30)"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        tenant = conn.execute(BUSIEST_TENANT.format(usage=USAGE_ANALYTICS)).fetchone()
        assert tenant is not None
        for statement in NAIVE_TABLE:
            conn.execute(statement)
        for name, query in queries_by_name.items():
            ours = _timed(conn, query, tenant[0], as_reader=True)
            naive = _timed(conn, NAIVE_QUERIES[name], tenant[0], as_reader=False)
            print(
                f"dashboard {name}: p50 {ours[0]:.1f} ms, p95 {ours[1]:.1f} ms;"
                f" naive p50 {naive[0]:.1f} ms, p95 {naive[1]:.1f} ms"
                f" ({naive[1] / ours[1]:.1f}x at p95)"
            )
        conn.execute("drop schema naive cascade")


def _timed(
    conn: psycopg.Connection, query: str, tenant: str, *, as_reader: bool
) -> tuple[float, float]:
    """p50 and p95 in ms over ROUNDS runs, each in a transaction of its own."""
    timings = []
    for _ in range(ROUNDS):
        with conn.transaction():
            if as_reader:
                conn.execute("set local role analytics_reader")
            conn.execute("select set_config('app.tenant_id', %s, true)", (tenant,))
            started = time.perf_counter()
            conn.execute(query).fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), statistics.quantiles(timings, n=20)[-1]


if __name__ == "__main__":
    raise SystemExit(main())
