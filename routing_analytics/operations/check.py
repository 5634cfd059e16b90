"""`routing-analytics check`: data-quality gates, the consumer contract and monitoring.

1. dbt tests tagged data_quality (design document 5.2 and the issue's gates), with their
   severities: an error-severity gate that fails is an alert.
2. The Great Expectations suite over the landed raw data and the published marts.
3. Monitoring (design document 9): data freshness, data lag, missing cost data, storage,
   dashboard query latency (the analyses/ queries, timed), tenant isolation.
Every result is stored in monitoring.data_quality (one row per check per run; a schema of
its own, so that the history survives `routing-analytics run` swapping the marts in) and
printed; the exit code is 1 when an alert fires, so cron or an orchestrator can page someone.
`schema` is the schema of the marts checked: analytics, or analytics_next before a swap.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg

from routing_analytics.operations.changed_rows import ChangedRows
from routing_analytics.platform import db
from routing_analytics.platform.config import Settings, dbt_environment
from routing_analytics.platform.ddl import apply_ddl
from routing_analytics.platform.errors import LoaderError, UserError
from routing_analytics.warehouse.dbt import run_dbt
from routing_analytics.warehouse.gates import failure_lines, gate_results
from routing_analytics.warehouse.relations import (
    PUBLISHED_SCHEMA,
    STREAM_RECONCILIATION,
    TASK_EXECUTIONS,
    USAGE_ANALYTICS,
    in_schema,
)

MAX_DATA_LAG_MINUTES = Decimal(5)
MAX_MISSING_COST_PERCENT = Decimal(5)
MAX_QUERY_LATENCY_MS = Decimal(2000)
ISOLATION_CHECK = "tenant_isolation_violations"


# Monitoring runs in every scheduled run, so none of its figures reads a whole history.

# The newest landing of a raw stream. A load's rows land after the load started (their
# _loaded_at is the landing transaction's start), so the newest load bounds the BRIN (and,
# for task_executions, partition) scan of _loaded_at to the newest rows; when that load's
# rows are gone (forgotten) or rows were written without a load, the whole table is read.
NEWEST_LANDING = """
coalesce(
    (
        select max(landed._loaded_at)
        from raw.{stream} as landed
        where landed._loaded_at >= (
            select max(loads.started_at)
            from raw.loads as loads
            where
                loads.stream = '{stream}'
                and loads.status = 'succeeded'
                and loads.rows_landed > 0
        )
    ),
    (select max(landed._loaded_at) from raw.{stream} as landed)
)
"""

FRESHNESS = f"""
select extract(epoch from now() - greatest(
    {NEWEST_LANDING.format(stream="task_executions")},
    {NEWEST_LANDING.format(stream="routing_decisions")},
    {NEWEST_LANDING.format(stream="usage_events")}
)) / 60
"""

# The newest input of the task mart: per tenant from its index (tenant_id, _inputs_loaded_at),
# the tenants found by a walk of the same index (one probe per tenant).
NEWEST_TASK_INPUT = """
with recursive tenants as (
    (select tasks.tenant_id from {tasks} as tasks order by tasks.tenant_id limit 1)
    union all
    select (
        select tasks.tenant_id
        from {tasks} as tasks
        where tasks.tenant_id > tenants.tenant_id
        order by tasks.tenant_id
        limit 1
    )
    from tenants
    where tenants.tenant_id is not null
)
select max(newest.loaded_at)
from tenants
cross join lateral (
    select max(tasks._inputs_loaded_at) as loaded_at
    from {tasks} as tasks
    where tasks.tenant_id = tenants.tenant_id
) as newest
"""

DATA_LAG = f"""
select greatest(
    extract(epoch from {NEWEST_LANDING.format(stream="task_executions")}
        - ({NEWEST_TASK_INPUT})) / 60,
    0
)
"""

# From the day figures of usage_analytics (its tasks and unpriced tasks per tenant and day):
# every day the marts hold, those whose tasks retention deleted included.
MISSING_COST = """
select 100.0 * sum(unpriced_tasks) / nullif(sum(tasks_created), 0)
from {usage}
"""

STORAGE = """
select namespace.nspname, sum(pg_total_relation_size(class.oid))
from pg_catalog.pg_class as class
inner join pg_catalog.pg_namespace as namespace on namespace.oid = class.relnamespace
where class.relkind in ('r', 'm', 'p')
  and namespace.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
group by 1 order by 1
"""

ISOLATION_GAPS = """
select class.relname
from pg_catalog.pg_class as class
inner join pg_catalog.pg_attribute as attribute
    on attribute.attrelid = class.oid and attribute.attname = 'tenant_id'
    and not attribute.attisdropped
where class.relnamespace = %s::regnamespace
  and class.relkind in ('r', 'p', 'v', 'm', 'f')
  and not (
    (class.relkind in ('r', 'p') and class.relrowsecurity and class.relforcerowsecurity)
    or (class.relkind = 'v' and 'security_invoker=true' = any(class.reloptions))
  )
order by 1
"""

# All history, for monitoring: the gates judge only what a run adds (unpublished loads).
STREAM_RATES = f"""
select stream,
    round(100.0 * rejected_rows / nullif(raw_rows - withdrawn_rows, 0), 2),
    round(100.0 * conflicting_rows / nullif(raw_rows - withdrawn_rows, 0), 2)
from {STREAM_RECONCILIATION}
order by 1
"""

# The tenant with the most tasks, from the day figures of usage_analytics.
BUSIEST_TENANT = """
select tenant_id from {usage} group by 1 order by sum(tasks_created) desc, 1 limit 1
"""


@dataclass(frozen=True)
class CheckResult:
    name: str
    kind: str
    status: str  # pass | warn | fail | info
    rows_failing: int | None = None
    measured: Decimal | None = None
    threshold: str | None = None
    detail: str | None = None

    @property
    def blocks_publish(self) -> bool:
        """Gates, the consumer contract and isolation hold a run back; the monitoring figures
        (lag, all-history shares, latency) alert without withholding good data."""
        return self.status == "fail" and (
            self.kind in ("dbt_test", "expectations") or self.name == ISOLATION_CHECK
        )


def check_target(settings: Settings, schema: str) -> Path:
    """dbt's target folder for the checks of `schema`; `run` builds the standby into its own
    so that its results can be read. One folder per schema, because dbt parses the whole
    project again when the vars differ from its last parse in that folder: a `check` of the
    live marts between two runs would cost both a parse."""
    return settings.state_dir / "dbt" / "check-target" / schema


def run_checks(
    settings: Settings,
    data_docs: Path | None = None,
    suffix: str = "",
    *,
    gates_already_run: bool = False,
    changed: ChangedRows | None = None,
) -> list[CheckResult]:
    """`gates_already_run`: a `dbt build` into check_target() just ran the gates (they are
    tests of the build): read their results instead of running them a second time.
    `changed`: hold the contract to what a run changed only (the run checks that)."""
    if not gates_already_run:
        import_expectations_in_background()
    schema = PUBLISHED_SCHEMA + suffix
    target = check_target(settings, schema)
    # First: any dbt invocation (the gates below too) re-applies isolation on its way out.
    with db.connect(settings) as conn:
        gaps = [name for (name,) in conn.execute(ISOLATION_GAPS, (schema,)).fetchall()]
    dbt_vars = ["--vars", json.dumps({"publish_suffix": suffix})]
    _progress(1, "data-quality gates" + (" (results of this build)" if gates_already_run else ""))
    results = dbt_gates(settings, target, dbt_vars, run_tests=not gates_already_run)
    scope = " (the rows this run changed)" if changed is not None else ""
    _progress(2, f"Great Expectations contract of raw and {schema}{scope}")
    results += expectation_results(settings, data_docs, schema, changed)
    _progress(3, "monitoring (lag, shares, storage, dashboard latency, isolation)")
    results += monitoring(settings, target, gaps, schema, dbt_vars)
    _progress(4, "recording the results in monitoring.data_quality")
    record(settings, results)
    return results


CHECK_STEPS = 4


def _progress(step: int, what: str) -> None:
    print(f"routing-analytics: check {step}/{CHECK_STEPS}: {what}", file=sys.stderr, flush=True)


def dbt_gates(
    settings: Settings, target: Path, dbt_vars: list[str], *, run_tests: bool = True
) -> list[CheckResult]:
    run_results = target / "run_results.json"
    if run_tests:
        # A dbt that fails before running any test must not leave an older run's results.
        run_results.unlink(missing_ok=True)
        run_dbt(
            settings,
            [
                "test",
                "--select",
                "tag:data_quality",
                "--target-path",
                str(target),
                "--quiet",
                *dbt_vars,
            ],
        )
    gates = gate_results(target)
    if not gates:
        raise UserError("dbt did not run the data-quality tests; run `routing-analytics build`")
    lines = failure_lines(settings, gates)
    for line in (line for gate_lines in lines.values() for line in gate_lines):
        print(f"routing-analytics: {line}", file=sys.stderr, flush=True)
    results = []
    for gate in gates:
        status = gate.status if gate.status in ("pass", "warn") else "fail"
        results.append(
            CheckResult(
                name=gate.name,
                kind="dbt_test",
                status=status,
                rows_failing=gate.failures,
                threshold=gate.threshold,
                detail=None if status != "fail" else "; ".join(lines.get(gate.name, []))[:2000],
            )
        )
    return results


EXPECTATIONS_MODULE = "routing_analytics.operations.expectations"


def import_expectations_in_background() -> None:
    """Start importing Great Expectations (about 2 s of CPU) while dbt works in its own
    process, so that the contract check does not wait for it. An import that fails here is
    tried again, and reported, where the check needs the module. Not when it is imported
    already: a process of one thread may run dbt in a fork of itself (run_dbt)."""
    if EXPECTATIONS_MODULE in sys.modules:
        return
    threading.Thread(target=_import_quietly, args=(EXPECTATIONS_MODULE,), daemon=True).start()


def _import_quietly(module: str) -> None:
    # A failure is reported by the import in expectation_results.
    with contextlib.suppress(Exception):
        importlib.import_module(module)


def expectation_results(
    settings: Settings, data_docs: Path | None, schema: str, changed: ChangedRows | None = None
) -> list[CheckResult]:
    from routing_analytics.operations.expectations import validate  # noqa: PLC0415  (2 s import)

    failed = [
        r for r in validate(settings.database_url, schema, data_docs, changed) if not r.success
    ]
    details = "; ".join(
        f"{r.relation}: {r.expectation}({r.column or ''}) {r.unexpected} unexpected" for r in failed
    )
    return [
        CheckResult(
            name="great_expectations_contract",
            kind="expectations",
            status="fail" if failed else "pass",
            rows_failing=sum(r.unexpected for r in failed),
            threshold="0",
            detail=details or None,
        )
    ]


def monitoring(
    settings: Settings, target: Path, gaps: list[str], schema: str, dbt_vars: list[str]
) -> list[CheckResult]:
    tasks = in_schema(TASK_EXECUTIONS, schema)
    with db.connect(settings, autocommit=True) as conn:
        freshness = _scalar(conn, FRESHNESS)
        lag = _scalar(conn, DATA_LAG.format(tasks=tasks))
        missing = _scalar(conn, MISSING_COST.format(usage=in_schema(USAGE_ANALYTICS, schema)))
        storage = dict(conn.execute(STORAGE).fetchall())
        rates = conn.execute(STREAM_RATES).fetchall()
        latency_ms, slowest = dashboard_latency(settings, conn, target, schema, dbt_vars)
    return [
        CheckResult("data_freshness_minutes", "monitor", "info", measured=freshness),
        _threshold("data_lag_minutes", lag, MAX_DATA_LAG_MINUTES),
        _threshold("missing_cost_data_percent", missing, MAX_MISSING_COST_PERCENT),
        CheckResult(
            "storage_bytes",
            "monitor",
            "info",
            measured=Decimal(sum(storage.values())),
            detail=json.dumps({schema: int(size) for schema, size in storage.items()}),
        ),
        _threshold("dashboard_query_latency_ms", latency_ms, MAX_QUERY_LATENCY_MS, slowest),
        *_history_rates(rates),
        CheckResult(
            ISOLATION_CHECK,
            "monitor",
            "fail" if gaps else "pass",
            rows_failing=len(gaps),
            threshold="0",
            detail=", ".join(gaps) or None,
        ),
    ]


def _history_rates(rates: list[tuple[str, Decimal | None, Decimal | None]]) -> list[CheckResult]:
    """Per stream, all history: shown and stored, never a gate (a past batch that was
    published or withdrawn must not block the next run)."""
    shares = {
        "rejected_share": {stream: rejected for stream, rejected, _ in rates},
        "duplicate_share": {stream: duplicate for stream, _, duplicate in rates},
    }
    return [
        CheckResult(
            f"{figure}_percent_all_history",
            "monitor",
            "info",
            measured=max((v for v in per_stream.values() if v is not None), default=None),
            detail=json.dumps({stream: str(value) for stream, value in per_stream.items()}),
        )
        for figure, per_stream in shares.items()
    ]


def dashboard_latency(
    settings: Settings, conn: psycopg.Connection, target: Path, schema: str, dbt_vars: list[str]
) -> tuple[Decimal | None, str | None]:
    """The slowest of the analyses/ dashboard queries, run for the busiest tenant."""
    compiled = compiled_analyses(settings, target, dbt_vars)
    busiest = BUSIEST_TENANT.format(usage=in_schema(USAGE_ANALYTICS, schema))
    tenant = conn.execute(busiest).fetchone()
    if not compiled or tenant is None:
        return None, None
    timings = {}
    with conn.transaction():
        conn.execute("select set_config('app.tenant_id', %s, true)", tenant)
        for query in compiled:
            started = time.perf_counter()
            conn.execute(query.read_text()).fetchall()
            elapsed_ms = (time.perf_counter() - started) * 1000
            timings[query.stem] = Decimal(f"{elapsed_ms:.1f}")
    slowest = max(timings, key=lambda name: timings[name])
    return timings[slowest], slowest


def compiled_analyses(settings: Settings, target: Path, dbt_vars: list[str]) -> list[Path]:
    """The analyses/ queries as dbt compiles them for these vars and this database, compiled
    again only when the project's SQL, the vars or the database changed: starting dbt costs
    seconds, on every scheduled run."""
    key = _analyses_key(settings, dbt_vars)
    stamp = target / "analyses.key"
    compiled = sorted((target / "compiled").rglob("analyses/*.sql"))
    if compiled and stamp.is_file() and stamp.read_text() == key:
        return compiled
    stamp.unlink(missing_ok=True)
    for stale in compiled:
        stale.unlink()
    run_dbt(
        settings,
        [
            "compile",
            "--select",
            "resource_type:analysis",
            "--target-path",
            str(target),
            "--quiet",
            *dbt_vars,
        ],
    )
    compiled = sorted((target / "compiled").rglob("analyses/*.sql"))
    if compiled:
        stamp.write_text(key)
    return compiled


def _analyses_key(settings: Settings, dbt_vars: list[str]) -> str:
    project = settings.project_dir
    digest = hashlib.sha256()
    connection = dbt_environment(settings)
    # Compiled SQL names the database; never the password (it is not hashed into a file).
    for name in ("HOST", "PORT", "NAME", "USER"):
        digest.update(f"{name}={connection['ANALYTICS_DB_' + name]}\n".encode())
    digest.update(json.dumps(dbt_vars).encode())
    sources = [project / "dbt_project.yml", *sorted((project / "analyses").rglob("*.sql"))]
    for path in [*sources, *sorted((project / "macros").rglob("*.sql"))]:
        digest.update(f"{path.relative_to(project)}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def record(settings: Settings, results: list[CheckResult]) -> None:
    run_id = uuid.uuid4()
    with db.connect(settings) as conn, conn.transaction():
        apply_ddl(conn, "routing_analytics.operations", "ddl/monitoring.sql")
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into monitoring.data_quality (run_id, checked_at, check_name, check_kind,"
                " rows_failing, measured_value, threshold, status, detail)"
                " values (%s, now(), %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        run_id,
                        r.name,
                        r.kind,
                        r.rows_failing,
                        r.measured,
                        r.threshold,
                        r.status,
                        r.detail,
                    )
                    for r in results
                ],
            )


def _threshold(
    name: str, measured: Decimal | None, limit: Decimal, detail: str | None = None
) -> CheckResult:
    status = "info" if measured is None else ("fail" if measured > limit else "pass")
    return CheckResult(
        name, "monitor", status, measured=measured, threshold=f"<= {limit}", detail=detail
    )


def _scalar(conn: psycopg.Connection, query: str) -> Decimal | None:
    row = conn.execute(query).fetchone()
    value = None if row is None else row[0]
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def print_check(
    settings: Settings,
    data_docs: Path | None,
    suffix: str = "",
    *,
    gates_already_run: bool = False,
    changed: ChangedRows | None = None,
) -> int:
    results = run_checks(
        settings, data_docs, suffix, gates_already_run=gates_already_run, changed=changed
    )
    width = max(len(r.name) for r in results)
    print(f"  {'STATUS':<6} {'CHECK':<{width}}  {'MEASURED':>12}  THRESHOLD")
    for r in results:
        print(f"  {r.status.upper():<6} {r.name:<{width}}  {_shown(r):>12}  {r.threshold or ''}")
        if r.status == "fail" and r.kind == "expectations" and r.detail:
            for failure in r.detail.split("; "):
                print(f"        {failure}")
    if data_docs is not None:
        print(f"Data Docs: {data_docs / 'index.html'}")
    alerts = [r for r in results if r.status == "fail"]
    if alerts:
        raise CheckAlert(
            "ALERT: "
            + "; ".join(f"{r.name} ({r.detail or r.measured or r.rows_failing})" for r in alerts),
            blocks_publish=any(r.blocks_publish for r in alerts),
        )
    print("all gates passed; no alert")
    return 0


def _shown(result: CheckResult) -> str:
    """The measured figure (or failing rows) as shown; byte counts in human units."""
    figure = result.rows_failing if result.measured is None else result.measured
    if figure is None:
        return "-"
    if result.name.endswith("_bytes"):
        return human_bytes(int(figure))
    return str(figure)


def human_bytes(size: int) -> str:
    """1536 -> '1.5 KiB': powers of 1024, one decimal above bytes."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


class CheckAlert(LoaderError):
    """A gate failed or a monitoring threshold was crossed: page someone."""

    exit_code = 1

    def __init__(self, message: str, *, blocks_publish: bool = True) -> None:
        super().__init__(message)
        self.blocks_publish = blocks_publish
