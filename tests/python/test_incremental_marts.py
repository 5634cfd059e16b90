"""Incremental builds after new data give exactly the marts of a full refresh (issues 3, 5, 12).

Database A: batch 1 is loaded and built with --full-refresh; batch 2 is loaded in two parts,
each built incrementally and published as `routing-analytics run` does (into the standby
schema, then swapped in): the second build continues from the standby that the first swap
retired, two changes behind. Database B: the same two batches, built once with
--full-refresh. Then
every relation (table, view, materialized view) of schema analytics, found from the
catalog, must hold the same rows in A and B
(EXCEPT ALL both ways, and the row counts). Only the snapshot's record of when dbt saw each
price version is left out (DBT_RUN_TIME_COLUMNS, CURRENT_ROWS_ONLY).

B's landing zone is a copy of A's raw schema after both loads: the same rows with the same
load ids and load times. created_at and _inputs_loaded_at in the marts are the times the
inputs landed; loading the files into B a second time would stamp new load times and make
those columns differ for a reason that has nothing to do with dbt.

The incremental run re-builds only what the models select as changed (what a later build
staged than the newest input a mart holds), which is what this test checks.

Batch 1 is the generated data set (faults included) up to CUTOFF. Batch 2 holds:
- the rest: new tasks, decisions and usage events;
- late records: the generator's late file (tasks from the first days, loaded only now), and
  a task of the month before that ran across that month's end;
- new versions of batch-1 tasks (status changed, tokens changed) and an exact duplicate;
- routing decisions of batch-1 tasks that were held back from batch 1;
- a price row with a new effective_from in the middle of batch 1's period, and a restated
  rate of an existing row (the in-window price cut of the generator);
- a tenant row with a different default provider and model;
- a late usage event of a batch-1 user, on a day before the user's first one: the user is
  new on that day now, and no longer on their old first day, of which nothing is staged
  again.
Then batch 3 on A (B gets the same rows through the copy of raw): a batch the gates refuse,
then a good one (BATCH_3_REFUSED, BATCH_3_GOOD).
Each change touches tasks that only its own rule of the incremental models re-builds (early
tasks of the other tenants), and test_batch_2_changes_the_marts checks that it reached the
marts, so the comparison cannot pass vacuously.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import cli, cli_environment, settings_for
from psycopg import sql

from loader.raw_schema import apply_raw_ddl
from routing_analytics.platform.config import Settings
from routing_analytics.platform.throwaway import throwaway_database
from routing_analytics.tools.generate import GenerateOptions, GenerateResult, generate
from routing_analytics.tools.generate.catalog import STATUSES, TASK_TYPES
from routing_analytics.warehouse.dbt import run_dbt
from routing_analytics.warehouse.publish import NEXT, prepare_next, swap_in_next

# Its tests share (and change) one warehouse, in order: one xdist worker runs them (conftest's
# SHARED_WAREHOUSE_MODULES), session-scoped because it may run other tests in between.
pytestmark = pytest.mark.integration

END_DATE = date(2026, 11, 20)
WINDOW_START = datetime(2026, 11, 15, tzinfo=UTC)  # six days: 2026-11-15 .. 2026-11-20
CUTOFF = datetime(2026, 11, 19, tzinfo=UTC)  # batch 1: everything that happened before
REPRICED_FROM = datetime(2026, 11, 17, 12, tzinfo=UTC)  # the new price row's effective_from
PREVIOUS_MONTH_START = datetime(2026, 10, 31, 23, 59, 58, tzinfo=UTC)
# Incremental runs re-build only what changed (see the module docstring). Seeds, snapshots
# and models only: this test compares what the two paths publish; the data tests and unit
# tests run in the session warehouse build, and a data-quality gate tripped by the small
# batch 1 (a threshold on the share of rejected rows) must not stop the build under test.
BUILD_ARGS = (
    "--",
    "--exclude-resource-type",
    "test",
    "unit_test",
)
# Path A publishes batch 2 as two runs would (build into the standby, swap it in): first the
# price list and tenants, then the records. The second build starts from the standby that the
# first swap retired, which holds the marts of batch 1: two changes behind.
BATCH_2_PARTS = (
    ("provider_pricing_batch_2.csv", "tenants_batch_2.csv"),
    (
        "task_executions_batch_2.jsonl",
        "routing_decisions_batch_2.jsonl",
        "usage_events_batch_2.jsonl",
    ),
)
# Batch 3: tasks of a model with no price yet, all unpriced, which the missing-cost gate
# refuses: `run` builds them into the standby, the gate fails and nothing is swapped in (the
# standby stays as the refused build left it; only a withdrawal or retention discards it).
# Then the model's price and more of its tasks: the next run builds on that standby.
UNPRICED_MODEL = ("openai", "gpt-6-preview")
BATCH_3_REFUSED = ("task_executions_batch_3_refused.jsonl",)
BATCH_3_GOOD = ("provider_pricing_batch_3.csv", "task_executions_batch_3_good.jsonl")
# The published schema, and staging (its base tables are incremental too).
SCHEMAS = ("analytics", "staging")
# And the incremental tables of schema int whose rows do not depend on when a build ran.
INT_COMPARED = (
    "int.int_task_executions_counted_by_day",
    "int.int_usage_events_counted_by_day",
    "int.int_usage_users_first_seen",
)
# Nothing is withdrawn, published by `run` or removed by retention here.
EMPTY_IN_THIS_SCENARIO = frozenset(
    {
        "staging.base_router__published_loads",
        "staging.base_router__withdrawn_loads",
        "staging.stg_router__load_withdrawals",
        "staging.stg_retention__runs",
        "staging.stg_retention__usage_users_seen",
    }
)
# When a build (re)staged a row: the incremental path staged batch 1 first.
STAGED_AT_COLUMNS = frozenset({"_staged_at", "_inputs_staged_at"})
# Columns that record when dbt ran, not what the data says; left out of the comparison.
# provider_pricing is the dbt snapshot of the price list: version_recorded_at and
# version_superseded_at are the snapshot's dbt_valid_from / dbt_valid_to (the time of the
# snapshot run that saw a version), and id is dbt_scd_id, a hash of price_id and that time.
DBT_RUN_TIME_COLUMNS: dict[str, frozenset[str]] = {
    "analytics.provider_pricing": frozenset({"id", "version_recorded_at", "version_superseded_at"}),
    "int.int_task_executions_counted_by_day": frozenset({"newest_input"}),
    "int.int_usage_events_counted_by_day": frozenset({"newest_input"}),
    "int.int_usage_users_first_seen": frozenset({"_counted_at"}),
}
# A snapshot records versions as its runs saw them: A's run after batch 1 saw the rate that
# batch 2 restated, B never did. Those superseded versions exist only in A and are checked
# on their own (test_only_superseded_price_versions_differ).
CURRENT_ROWS_ONLY: dict[str, str] = {"analytics.provider_pricing": "is_current_version"}
CLEAN_USER = re.compile(r"^tenant_[0-9]+ u-[0-9]+-[0-9]+$")
LATE_EVENT_ID = "00000000-0000-4000-8000-00000000e1e1"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PROVIDERS = frozenset({"github_copilot", "openai", "google", "anthropic", "mistral", "deepseek"})
TOKEN_FIELDS = (
    "tokens_used",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
)


@dataclass(frozen=True)
class Scenario:
    """What batch 2 changes, to check that each change reached the marts."""

    late_ids: frozenset[str]
    status_changed: dict[str, str]  # task id -> new status
    tokens_changed: dict[str, int]  # task id -> new tokens_used
    duplicated_id: str
    previous_month_id: str  # a new task that ran across the end of the month before
    late_decision_task_ids: frozenset[str]
    repriced: tuple[str, str]  # (provider, model) with a new row from REPRICED_FROM
    restated: tuple[str, str, datetime]  # (provider, model, effective_from) restated
    tenant_id: str  # whose default provider changed
    new_default: tuple[str, str]
    late_user: tuple[str, str, date, date]  # (tenant, user, old first day, new first day)


STAGED_STREAMS = ("task_executions", "routing_decisions", "usage_events")
# (loaded after batch 1, staged by the last build) -> rows; loads of batch 1 staged again.
StagedCounts = tuple[dict[tuple[bool, bool], int], int]


@dataclass(frozen=True)
class Batch3:
    refused_ids: frozenset[str]  # the unpriced model's tasks of the refused batch
    good_ids: frozenset[str]  # and of the good batch
    unpriced_in_refused_standby: int  # of refused_ids, what the refused build left unpriced


@dataclass(frozen=True)
class Run:
    incremental_url: str  # database A
    full_refresh_url: str  # database B
    scenario: Scenario
    batch_3: Batch3
    after_batch_1: dict[str, dict[str, Any]]  # A's task_executions after batch 1, by id
    last_load_of_batch_1: int
    standby_seeded: tuple[bool, ...]  # per publish after batch 1
    costed_after_batch_1: dict[str, str]  # int_task_executions_costed: task id -> xmin
    staged_by_batch_2: dict[str, StagedCounts]  # per stream, after batch 2's last build
    costed_after_batch_2: dict[str, str]  # int_task_executions_costed: task id -> xmin


def _lines(path: Path) -> list[bytes]:
    """The file's lines without terminators; faulty lines (invalid UTF-8...) kept as bytes."""
    lines = path.read_bytes().split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def _write(path: Path, lines: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def _record(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _instant(record: dict[str, Any] | None, field: str) -> datetime | None:
    text = record.get(field) if record else None
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _split(lines: list[bytes], field: str) -> int:
    """Index of the first line that happened at or after CUTOFF (the files are in time order;
    unreadable lines stay where they are)."""
    for index, line in enumerate(lines):
        moment = _instant(_record(line), field)
        if moment is not None and moment >= CUTOFF:
            return index
    raise AssertionError(f"no {field} at or after {CUTOFF}: nothing left for batch 2")


def _valid_task(record: dict[str, Any] | None) -> bool:
    """A record the generator wrote without a fault (each fault breaks one of these rules)."""
    if record is None or not UUID.match(str(record.get("id", ""))):
        return False
    start, end = _instant(record, "timestamp_start"), _instant(record, "timestamp_end")
    tokens = [record.get(name, 0) for name in TOKEN_FIELDS]
    return (
        start is not None
        and end is not None
        and start <= end
        and abs((end - start).total_seconds() * 1000 - record.get("duration_ms", 0)) <= 1000
        and bool(record.get("tenant_id"))
        and record.get("status") in STATUSES
        and record.get("task_type") in TASK_TYPES
        and record.get("provider_used") in PROVIDERS
        and all(isinstance(count, int) and count >= 0 for count in tokens)
        and record.get("cache_read_tokens", 0) + record.get("cache_write_tokens", 0)
        <= record.get("input_tokens", record.get("tokens_used", 0))
        and "cost_actual" not in record
        and "routing_decision" not in record
    )


def _price_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or ()), list(reader)


def _in_effect(row: dict[str, str], moment: datetime) -> bool:
    starts = datetime.fromisoformat(row["effective_from"])
    ends = datetime.fromisoformat(row["effective_until"]) if row["effective_until"] else None
    return starts <= moment and (ends is None or moment < ends)


def _scaled(row: dict[str, str], factor: Decimal) -> dict[str, str]:
    rates = [name for name in row if name.endswith(("_per_token", "_per_minute", "_per_request"))]
    return {**row, **{name: str(Decimal(row[name]) * factor) for name in rates if row[name]}}


def _write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _held_task(line: bytes) -> str | None:
    record = _record(line)
    return record.get("task_execution_id") if record else None


@dataclass(frozen=True)
class Batch1:
    head: list[bytes]  # the task lines of batch 1
    held: frozenset[str]  # tasks whose routing decisions wait for batch 2
    changed_tenant: str  # whose default provider batch 2 changes


def _batch_1(generated: GenerateResult, folder: Path) -> Batch1:
    """Write batch 1, holding back the routing decisions of six early tasks.

    Each change of batch 2 must be picked up by its own rule of the incremental models, so
    the tasks it touches are early (before REPRICED_FROM: no price change re-builds them) and
    of other tenants than the one whose default provider changes (the smallest tenant).
    """
    tasks_file, late_file = generated.files["task_executions"]
    tasks = _lines(tasks_file)
    decisions = _lines(generated.files["routing_decisions"][0])
    events = _lines(generated.files["usage_events"][0])
    head = tasks[: _split(tasks, "timestamp_start")]
    decisions_head = decisions[: _split(decisions, "decided_at")]
    valid = [record for record in map(_record, head) if _valid_task(record)]
    per_tenant = Counter(record["tenant_id"] for record in valid)
    changed_tenant = min(per_tenant, key=lambda tenant: (per_tenant[tenant], tenant))
    early = {
        record["id"]
        for record in valid
        if record["tenant_id"] != changed_tenant
        and _instant(record, "timestamp_start") < REPRICED_FROM
    }
    held: set[str] = set()
    for line in decisions_head:
        record = _record(line)
        if record and record.get("task_execution_id") in early and UUID.match(record["id"]):
            held.add(record["task_execution_id"])
        if len(held) == 6:
            break
    _write(folder / "task_executions.jsonl", head)
    _write(
        folder / "routing_decisions.jsonl",
        [line for line in decisions_head if _held_task(line) not in held],
    )
    _write(folder / "usage_events.jsonl", events[: _split(events, "occurred_at")])
    for stream in ("tenants", "provider_pricing"):
        source = generated.files[stream][0]
        (folder / source.name).write_bytes(source.read_bytes())
    assert late_file.name.startswith("task_executions_late")
    return Batch1(head, frozenset(held), changed_tenant)


def _batch_2(
    generated: GenerateResult, folder: Path, batch_1: Batch1, built: dict[str, dict[str, Any]]
) -> Scenario:
    """Write batch 2 from what batch 1 built (`built`: A's task_executions by id)."""
    tasks_file, late_file = generated.files["task_executions"]
    tasks = _lines(tasks_file)
    decisions = _lines(generated.files["routing_decisions"][0])
    events = _lines(generated.files["usage_events"][0])
    head, held = batch_1.head, batch_1.held
    by_id = {record["id"]: record for record in map(_record, head) if _valid_task(record)}

    # New versions of early batch-1 tasks whose cost is computed: three change status, three
    # change their tokens (and so their cost).
    candidates = sorted(
        task_id
        for task_id, row in built.items()
        if task_id in by_id
        and task_id not in held
        and row["tenant_id"] != batch_1.changed_tenant
        and row["status"] == "completed"
        and row["cost_source"] == "computed"
        and row["token_cost_usd"]
        and row["timestamp_start"] < REPRICED_FROM
    )
    assert len(candidates) >= 8, "too few valid early tasks to re-send"
    status_changed = {task_id: "failed" for task_id in candidates[:3]}
    tokens_changed: dict[str, int] = {}
    versions: list[bytes] = []
    for task_id in candidates[:6]:
        record = dict(by_id[task_id])
        if task_id in status_changed:
            record.update(status="failed", error_message="upstream timeout after retry")
        else:
            extra = 137
            if "output_tokens" in record:
                record["output_tokens"] += extra
            record["tokens_used"] = record.get("tokens_used", 0) + extra
            tokens_changed[task_id] = record["tokens_used"]
        versions.append(json.dumps(record).encode())
    duplicated_id = candidates[6]
    duplicate = next(line for line in head if _record(line) == by_id[duplicated_id])
    # A late record from the month before batch 1, across that month's end.
    previous_month = dict(by_id[candidates[7]])
    previous_month.update(
        id="00000000-0000-4000-8000-0000000a0b0c",
        timestamp_start=PREVIOUS_MONTH_START.isoformat().replace("+00:00", "Z"),
        timestamp_end="2026-11-01T00:00:02Z",
        duration_ms=4_000,
    )
    previous_month.pop("routing_decision", None)

    _write(
        folder / "task_executions_batch_2.jsonl",
        [
            *tasks[_split(tasks, "timestamp_start") :],
            *versions,
            duplicate,
            *_lines(late_file),
            json.dumps(previous_month).encode(),
        ],
    )
    _write(
        folder / "routing_decisions_batch_2.jsonl",
        [
            *decisions[_split(decisions, "decided_at") :],
            *(line for line in decisions if _held_task(line) in held),
        ],
    )
    late_event, late_user = _late_usage_event(events[: _split(events, "occurred_at")])
    _write(
        folder / "usage_events_batch_2.jsonl",
        [*events[_split(events, "occurred_at") :], late_event],
    )
    repriced, restated = _write_prices(generated, folder, built)
    tenant_id, new_default = _write_tenant(generated, folder, batch_1.changed_tenant)
    return Scenario(
        late_ids=frozenset(record["id"] for record in map(_record, _lines(late_file)) if record),
        status_changed=status_changed,
        tokens_changed=tokens_changed,
        duplicated_id=duplicated_id,
        previous_month_id=previous_month["id"],
        late_decision_task_ids=held,
        repriced=repriced,
        restated=restated,
        tenant_id=tenant_id,
        new_default=new_default,
        late_user=late_user,
    )


def _late_usage_event(batch_1_events: list[bytes]) -> tuple[bytes, tuple[str, str, date, date]]:
    """An event on WINDOW_START's day of the batch-1 user first seen latest (after that day)."""
    first_seen: dict[tuple[str, str], date] = {}
    for record in filter(None, map(_record, batch_1_events)):
        occurred = _instant(record, "occurred_at")
        key = (str(record.get("tenant_id")), str(record.get("user_id")))
        # The generator's well-formed events only: a faulty one may be rejected.
        if occurred is None or not CLEAN_USER.match(key[0] + " " + key[1]):
            continue
        day = occurred.astimezone(UTC).date()
        first_seen[key] = min(first_seen.get(key, day), day)
    (tenant_id, user_id), old_first_day = max(first_seen.items(), key=lambda item: item[1])
    assert old_first_day > WINDOW_START.date(), "no batch-1 user is first seen after day one"
    event = {
        "id": LATE_EVENT_ID,
        "tenant_id": tenant_id,
        "user_id": user_id,
        "event_type": "login",
        "occurred_at": "2026-11-15T06:00:00Z",
    }
    return json.dumps(event).encode(), (tenant_id, user_id, old_first_day, WINDOW_START.date())


def _write_prices(
    generated: GenerateResult, folder: Path, built: dict[str, dict[str, Any]]
) -> tuple[tuple[str, str], tuple[str, str, datetime]]:
    """A new row from REPRICED_FROM for the model most tasks used (20 % cheaper), and the
    generator's in-window price cut (a row starting inside batch 1) restated 10 % higher."""
    header, rows = _price_rows(generated.files["provider_pricing"][0])
    cuts = [
        row
        for row in rows
        if row["pricing_tier"] == "standard"
        and WINDOW_START < datetime.fromisoformat(row["effective_from"]) < CUTOFF
    ]
    assert len(cuts) == 1, "expected the generator's one in-window price cut"
    restated_row = _scaled(cuts[0], Decimal("1.1"))
    restated = (
        restated_row["provider"],
        restated_row["model"],
        datetime.fromisoformat(restated_row["effective_from"]),
    )
    usage: dict[tuple[str, str], int] = {}
    for row in built.values():
        key = (row["provider_used"], row["model"])
        if row["cost_source"] == "computed" and row["pricing_tier"] == "standard":
            usage[key] = usage.get(key, 0) + 1
    repriced = max((key for key in usage if key != restated[:2]), key=lambda key: (usage[key], key))
    current = [
        row
        for row in rows
        if (row["provider"], row["model"], row["pricing_tier"]) == (*repriced, "standard")
        and _in_effect(row, REPRICED_FROM)
    ]
    assert len(current) == 1, f"no single price row of {repriced} at {REPRICED_FROM}"
    new_row = {
        **_scaled(current[0], Decimal("0.8")),
        "effective_from": REPRICED_FROM.isoformat().replace("+00:00", "Z"),
    }
    _write_csv(folder / "provider_pricing_batch_2.csv", header, [new_row, restated_row])
    return repriced, restated


def _write_tenant(
    generated: GenerateResult, folder: Path, tenant_id: str
) -> tuple[str, tuple[str, str]]:
    """The tenant gets another default provider and model."""
    with generated.files["tenants"][0].open(newline="") as file:
        reader = csv.DictReader(file)
        header = list(reader.fieldnames or ())
        tenant = next(row for row in reader if row["tenant_id"] == tenant_id)
    new_default = (
        ("anthropic", "claude-haiku-4-5")
        if tenant["default_provider"] != "anthropic"
        else ("openai", "gpt-5-mini")
    )
    tenant.update(default_provider=new_default[0], default_model=new_default[1])
    _write_csv(folder / "tenants_batch_2.csv", header, [tenant])
    return tenant_id, new_default


def _write_batch_3(generated: GenerateResult, folder: Path) -> tuple[list[str], list[str]]:
    """The unpriced model's tasks (copies of valid tasks of its provider after CUTOFF, under
    new ids), refused ones and good ones; and its price from CUTOFF (a price from earlier
    would make the next build re-cost every task after it, which
    test_the_per_task_tables_kept_the_tasks_no_input_of_which_changed rules out)."""
    provider, model = UNPRICED_MODEL
    tasks = _lines(generated.files["task_executions"][0])
    sources = [
        record
        for record in map(_record, tasks[_split(tasks, "timestamp_start") :])
        if _valid_task(record) and record and record["provider_used"] == provider
    ][:16]
    assert len(sources) == 16, f"too few valid late tasks of {provider}"
    copies = [
        {**record, "id": f"00000000-0000-4000-8000-0000000b{number:04d}", "model": model}
        for number, record in enumerate(sources)
    ]
    _write(folder / BATCH_3_REFUSED[0], [json.dumps(record).encode() for record in copies[:10]])
    _write(folder / BATCH_3_GOOD[1], [json.dumps(record).encode() for record in copies[10:]])
    header, rows = _price_rows(generated.files["provider_pricing"][0])
    template = next(
        row
        for row in rows
        if row["provider"] == provider and row["pricing_tier"] == "standard" and row["model"]
    )
    price = {
        **template,
        "model": model,
        "effective_from": CUTOFF.isoformat().replace("+00:00", "Z"),
        "effective_until": "",
    }
    _write_csv(folder / BATCH_3_GOOD[0], header, [price])
    return [record["id"] for record in copies[:10]], [record["id"] for record in copies[10:]]


def _unpriced(url: str, schema: str, ids: list[str]) -> int:
    with psycopg.connect(url) as conn:
        found = conn.execute(
            sql.SQL("select count(*) from {} where id::text = any(%s) and not is_priced").format(
                sql.Identifier(schema, "task_executions")
            ),
            (ids,),
        ).fetchone()
    return int(found[0]) if found else 0


def _staged_by_last_build(url: str, stream: str, last_load_of_batch_1: int) -> StagedCounts:
    """Rows of the base model by (loaded after batch 1, staged by the last build), and how
    many loads of batch 1 the last build staged again."""
    base = sql.Identifier("staging", f"base_router__{stream}")
    query = sql.SQL(
        """
        select
            _load_id > %(last)s as is_batch_2,
            _staged_at = (select max(_staged_at) from {base}) as staged_again,
            count(*)
        from {base}
        group by 1, 2
        """
    ).format(base=base)
    with psycopg.connect(url) as conn:
        counts = {
            (batch_2, again): n
            for batch_2, again, n in conn.execute(query, {"last": last_load_of_batch_1})
        }
        restaged = conn.execute(
            sql.SQL(
                "select count(distinct _load_id) from {} where _load_id <= %(last)s"
                " and _staged_at = (select max(_staged_at) from {})"
            ).format(base, base),
            {"last": last_load_of_batch_1},
        ).fetchone()[0]
    return counts, restaged


def _tasks(url: str) -> dict[str, dict[str, Any]]:
    """analytics.task_executions by id (as text)."""
    with psycopg.connect(url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute("select * from analytics.task_executions")
        return {str(row["id"]): row for row in cur.fetchall()}


def _row_versions(url: str, schema: str, table: str) -> dict[str, str]:
    """The transaction that wrote each task's row (xmin), by task id."""
    query = sql.SQL("select cast(task_execution_id as text), cast(xmin as text) from {}")
    with psycopg.connect(url) as conn:
        return dict(conn.execute(query.format(sql.Identifier(schema, table))).fetchall())


def _copy_raw(source_url: str, target_url: str) -> None:
    """B's landing zone: the raw tables of A, row for row (load ids and times included)."""
    with (
        psycopg.connect(source_url) as source,
        psycopg.connect(target_url, autocommit=True) as target,
    ):
        apply_raw_ddl(target)
        tables = source.execute(
            """
            select class.relname
            from pg_catalog.pg_class as class
            inner join pg_catalog.pg_namespace as namespace
                on class.relnamespace = namespace.oid
            where namespace.nspname = 'raw' and class.relkind = 'r'
                and class.relname <> 'ddl_versions'
            order by class.relname = 'loads' desc, class.relname
            """
        ).fetchall()
        with target.transaction():
            for (table,) in tables:
                relation = sql.Identifier("raw", table)
                with (
                    source.cursor().copy(
                        sql.SQL("copy {} to stdout (format binary)").format(relation)
                    ) as rows_out,
                    target.cursor().copy(
                        sql.SQL("copy {} from stdin (format binary)").format(relation)
                    ) as rows_in,
                ):
                    for data in rows_out:
                        rows_in.write(data)


def _build_into_standby(settings: Settings) -> bool:
    """What `routing-analytics run` does after loading, without its gates (BUILD_ARGS): build
    into the standby; all a run whose gate refuses the build leaves behind. True when the
    standby had to be seeded from the live marts."""
    seeded = prepare_next(settings)
    dbt_args = ["build", *BUILD_ARGS[1:], "--vars", json.dumps({"publish_suffix": NEXT})]
    assert run_dbt(settings, dbt_args) == 0
    return seeded


def _build_and_publish_as_run(settings: Settings) -> bool:
    """A run whose gates pass: build into the standby, swap it in. True when seeded."""
    seeded = _build_into_standby(settings)
    swap_in_next(settings, [])
    return seeded


def _build(env: dict[str, str], *args: str) -> None:
    built = cli(env, "build", *args, *BUILD_ARGS)
    assert built.returncode == 0, built.stdout[-6000:] + built.stderr[-2000:]


@pytest.fixture(scope="session")
def run(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    folder = tmp_path_factory.mktemp("incremental")
    generated = generate(
        GenerateOptions(
            out_dir=folder / "generated",
            tenants=4,
            days=6,
            executions=3_000,
            seed=5,
            end_date=END_DATE,
            faults=True,
        )
    )
    with throwaway_database(server_url) as url_a, throwaway_database(server_url) as url_b:
        env_a = cli_environment(url_a, folder / "state")
        env_b = cli_environment(url_b, folder / "state")
        batch_1 = _batch_1(generated, folder / "batch_1")
        loaded = cli(env_a, "load", str(folder / "batch_1"))
        assert loaded.returncode == 0, loaded.stderr
        _build(env_a, "--full-refresh")
        after_batch_1 = _tasks(url_a)
        costed_after_batch_1 = _row_versions(url_a, "int", "int_task_executions_costed")
        with psycopg.connect(url_a) as conn:
            last_load_of_batch_1 = conn.execute("select max(load_id) from raw.loads").fetchone()[0]
        scenario = _batch_2(generated, folder / "batch_2", batch_1, after_batch_1)
        settings_a = settings_for(url_a, folder / "state")
        seeded = []
        for files in BATCH_2_PARTS:
            loaded = cli(env_a, "load", *(str(folder / "batch_2" / name) for name in files))
            assert loaded.returncode == 0, loaded.stderr
            seeded.append(_build_and_publish_as_run(settings_a))
        staged_by_batch_2 = {
            stream: _staged_by_last_build(url_a, stream, last_load_of_batch_1)
            for stream in STAGED_STREAMS
        }
        costed_after_batch_2 = _row_versions(url_a, "int", "int_task_executions_costed")
        refused_ids, good_ids = _write_batch_3(generated, folder / "batch_3")
        loaded = cli(env_a, "load", *(str(folder / "batch_3" / name) for name in BATCH_3_REFUSED))
        assert loaded.returncode == 0, loaded.stderr
        _build_into_standby(settings_a)
        batch_3 = Batch3(
            frozenset(refused_ids),
            frozenset(good_ids),
            _unpriced(url_a, "analytics" + NEXT, refused_ids),
        )
        loaded = cli(env_a, "load", *(str(folder / "batch_3" / name) for name in BATCH_3_GOOD))
        assert loaded.returncode == 0, loaded.stderr
        seeded.append(_build_and_publish_as_run(settings_a))
        _copy_raw(url_a, url_b)
        _build(env_b, "--full-refresh")
        yield Run(
            url_a,
            url_b,
            scenario,
            batch_3,
            after_batch_1,
            last_load_of_batch_1,
            tuple(seeded),
            costed_after_batch_1,
            staged_by_batch_2,
            costed_after_batch_2,
        )


def _relations(conn: psycopg.Connection) -> list[str]:
    """Every table, view and materialized view of SCHEMAS, as schema.name, and INT_COMPARED;
    a partition is compared as part of its partitioned table."""
    return [
        *INT_COMPARED,
        *(
            name
            for (name,) in conn.execute(
                """
                select namespace.nspname || '.' || class.relname
                from pg_catalog.pg_class as class
                inner join pg_catalog.pg_namespace as namespace
                    on class.relnamespace = namespace.oid
                where namespace.nspname = any(%s) and class.relkind in ('r', 'p', 'v', 'm')
                  and not class.relispartition
                order by 1
                """,
                (list(SCHEMAS),),
            ).fetchall()
        ),
    ]


def _identifier(relation: str) -> sql.Identifier:
    return sql.Identifier(*relation.split("."))


def _columns(conn: psycopg.Connection, relation: str) -> list[tuple[str, str]]:
    return conn.execute(
        """
        select attname, format_type(atttypid, atttypmod)
        from pg_catalog.pg_attribute
        where attrelid = %s::regclass and attnum > 0 and not attisdropped
        order by attnum
        """,
        (_identifier(relation).as_string(conn),),
    ).fetchall()


def _rows(relation: str, columns: list[str]) -> sql.Composed:
    """The compared rows: every column but DBT_RUN_TIME_COLUMNS, cast to text (so that any
    type compares, json included, and numerics compare with their scale: 1.5 and 1.50 are
    different figures to a reader)."""
    as_text = sql.SQL(", ").join(
        sql.SQL("cast({} as text) as {}").format(sql.Identifier(name), sql.Identifier(name))
        for name in columns
        if name not in DBT_RUN_TIME_COLUMNS.get(relation, STAGED_AT_COLUMNS)
    )
    return sql.SQL("select {} from {} where {}").format(
        as_text, _identifier(relation), sql.SQL(CURRENT_ROWS_ONLY.get(relation, "true"))
    )


def _differences(run: Run, relation: str) -> list[str]:
    """Row counts, and the rows of `relation` in A and not in B and the other way round
    (EXCEPT ALL), B's rows copied into a temporary table beside A's."""
    with (
        psycopg.connect(run.incremental_url) as conn_a,
        psycopg.connect(run.full_refresh_url) as conn_b,
    ):
        rows = _rows(relation, [name for name, _ in _columns(conn_a, relation)])
        counted = sql.SQL("select count(*) from ({}) as compared").format(rows)
        try:
            counts = conn_a.execute(counted).fetchone()[0], conn_b.execute(counted).fetchone()[0]
        except psycopg.Error as error:
            return [f"cannot be read: {error}".strip()]
        conn_a.execute(
            sql.SQL("create temporary table full_refresh_rows as {} with no data").format(rows)
        )
        with (
            conn_b.cursor().copy(sql.SQL("copy ({}) to stdout").format(rows)) as rows_out,
            conn_a.cursor().copy("copy full_refresh_rows from stdin") as rows_in,
        ):
            for data in rows_out:
                rows_in.write(data)
        only_in_a = conn_a.execute(
            sql.SQL("{} except all select * from full_refresh_rows").format(rows)
        ).fetchall()
        only_in_b = conn_a.execute(
            sql.SQL("select * from full_refresh_rows except all {}").format(rows)
        ).fetchall()
    differences = [f"incremental only: {row}" for row in only_in_a[:3]]
    differences += [f"full refresh only: {row}" for row in only_in_b[:3]]
    if only_in_a or only_in_b or counts[0] != counts[1]:
        differences.insert(
            0,
            f"rows: incremental {counts[0]} ({len(only_in_a)} not in the other), "
            f"full refresh {counts[1]} ({len(only_in_b)} not in the other)",
        )
    if counts[0] == 0 and relation not in EMPTY_IN_THIS_SCENARIO:
        differences.insert(0, "no rows: nothing was compared")
    return differences


def test_both_paths_publish_the_same_relations(run: Run):
    with (
        psycopg.connect(run.incremental_url) as conn_a,
        psycopg.connect(run.full_refresh_url) as conn_b,
    ):
        relations = _relations(conn_a)
        assert relations == _relations(conn_b)
        assert {"analytics.task_executions", "analytics.provider_pricing"} <= set(relations)
        for relation in relations:
            assert _columns(conn_a, relation) == _columns(conn_b, relation), relation


def test_incremental_build_equals_full_refresh(run: Run):
    with psycopg.connect(run.incremental_url) as conn:
        relations = _relations(conn)
    mismatches = {relation: _differences(run, relation) for relation in relations}
    mismatches = {relation: found for relation, found in mismatches.items() if found}
    assert not mismatches, json.dumps(mismatches, indent=2, default=str)


@pytest.mark.parametrize(
    "test", ["assert_task_days_counted_as_from_scratch", "assert_usage_counted_as_from_scratch"]
)
def test_the_counts_kept_incrementally_equal_a_count_from_scratch(
    run: Run, tmp_path: Path, test: str
):
    """The incremental path counted tasks and usage events by day, and users' first days,
    again only where they could have changed: the kept counts, newest input stamps included
    (left out of the comparison with B, being build times), equal a count of everything
    staged and published."""
    env = cli_environment(run.incremental_url, tmp_path / "state")
    checked = cli(env, "dbt", "--", "test", "--select", test)
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert f"PASS {test}" in checked.stdout


def test_only_superseded_price_versions_differ(run: Run):
    """The snapshot rows left out above: A's run after batch 1 recorded the rate batch 2
    restated, as a version now superseded; B only ever saw the restated rate."""
    query = """
        select provider, model, effective_from
        from analytics.provider_pricing
        where not is_current_version
    """
    with psycopg.connect(run.incremental_url) as conn:
        superseded = conn.execute(query).fetchall()
    with psycopg.connect(run.full_refresh_url) as conn:
        assert conn.execute(query).fetchall() == []
    assert superseded == [run.scenario.restated]


def test_the_last_build_caught_up_from_the_retired_standby(run: Run):
    """The first publish seeded the standby with a copy of the live marts; the second built
    into the one the first swap retired (the marts of batch 1), without a copy; the third
    into the one the refused build of batch 3 left."""
    assert run.standby_seeded == (True, False, False)


def test_the_per_task_tables_kept_the_tasks_no_input_of_which_changed(run: Run):
    """A price version that a build records is stamped later than that build started: the
    next builds must not take it for new and recompute every task after it again. Tasks of
    the first days (before any price change of batch 2) keep the row batch 1's build wrote."""
    now = _row_versions(run.incremental_url, "int", "int_task_executions_costed")
    kept = [task for task, xmin in now.items() if run.costed_after_batch_1.get(task) == xmin]
    assert kept, "every task was recomputed after batch 1"
    assert len(kept) < len(now)


def test_second_build_was_incremental(run: Run):
    """Some rows of the incremental facts were kept from the first build (their xmin is that
    build's transaction), so the comparison covers the incremental path, not a re-build. The
    per-task intermediate tables under them too, and the aggregate that re-builds only the
    days whose tasks changed."""
    for schema, relation in (
        ("analytics", "task_executions"),
        ("analytics", "routing_decisions"),
        ("int", "int_task_executions_costed"),
        ("int", "int_task_executions_with_savings"),
        ("analytics", "cost_breakdowns_daily"),
    ):
        with psycopg.connect(run.incremental_url) as conn:
            transactions = conn.execute(
                sql.SQL(
                    "select count(*) from (select distinct xmin::text from {}) as inserted"
                ).format(sql.Identifier(schema, relation))
            ).fetchone()[0]
        assert transactions >= 2, f"{schema}.{relation}: every row was re-built (or none)"


@pytest.mark.parametrize("stream", STAGED_STREAMS)
def test_second_build_staged_the_new_loads_and_kept_the_rest(run: Run, stream: str):
    """The base models are incremental: the second build typed and checked the rows of
    batch 2's loads, and kept every row of batch 1 whose result could not change (the only
    ones checked again are those of loads holding a row whose provider became known).
    Counted right after batch 2's last build."""
    counts, restaged_loads_of_batch_1 = run.staged_by_batch_2[stream]
    assert counts.get((True, True), 0) > 0
    assert counts.get((True, False), 0) == 0
    assert counts.get((False, False), 0) > 0
    assert restaged_loads_of_batch_1 == 0, counts


def test_batch_2_changes_the_marts(run: Run):
    """Each change in batch 2 reached analytics.task_executions, so the equality above is not
    vacuous: the incremental run had to pick up every one of them."""
    before, after = run.after_batch_1, _tasks(run.incremental_url)
    scenario = run.scenario

    assert scenario.late_ids and not scenario.late_ids & before.keys()
    assert scenario.late_ids <= after.keys()
    assert min(after[task_id]["timestamp_start"] for task_id in scenario.late_ids) < max(
        row["timestamp_start"] for row in before.values()
    )

    for task_id, status in scenario.status_changed.items():
        assert (before[task_id]["status"], after[task_id]["status"]) == ("completed", status)
    for task_id, tokens in scenario.tokens_changed.items():
        assert before[task_id]["tokens_used"] == tokens - 137
        assert after[task_id]["tokens_used"] == tokens
        assert after[task_id]["cost_actual"] > before[task_id]["cost_actual"]
    duplicated = scenario.duplicated_id
    assert after[duplicated]["created_at"] > before[duplicated]["created_at"]

    assert scenario.previous_month_id not in before
    assert after[scenario.previous_month_id]["timestamp_start"] == PREVIOUS_MONTH_START

    decided_late = [task_id for task_id in scenario.late_decision_task_ids if task_id in before]
    assert len(decided_late) >= 3
    for task_id in decided_late:
        assert not before[task_id]["has_routing_decision"]
        assert after[task_id]["has_routing_decision"]

    def isolated(task_id: str) -> bool:
        """Only its own change re-builds it: another tenant's, and before any new price."""
        row = after[task_id]
        return row["tenant_id"] != scenario.tenant_id and row["timestamp_start"] < REPRICED_FROM

    touched = [*scenario.status_changed, *scenario.tokens_changed, duplicated, *decided_late]
    assert all(isolated(task_id) for task_id in touched)
    assert any(isolated(task_id) for task_id in scenario.late_ids)

    def repriced(provider: str, model: str, since: datetime) -> list[str]:
        return [
            task_id
            for task_id, row in before.items()
            if (row["provider_used"], row["model"], row["pricing_tier"])
            == (provider, model, "standard")
            and row["cost_source"] == "computed"
            and row["token_cost_usd"]
            and row["timestamp_start"] >= since
            and task_id not in scenario.tokens_changed
        ]

    new_row_tasks = repriced(*scenario.repriced, REPRICED_FROM)
    assert new_row_tasks
    for task_id in new_row_tasks:
        assert after[task_id]["cost_actual"] < before[task_id]["cost_actual"], task_id
    restated_tasks = repriced(*scenario.restated)
    assert restated_tasks
    for task_id in restated_tasks:
        assert after[task_id]["cost_actual"] > before[task_id]["cost_actual"], task_id

    rebased = [
        task_id
        for task_id, row in after.items()
        if row["tenant_id"] == scenario.tenant_id
        and row["baseline_source"] == "default_provider"
        and task_id in before
        and row["cost_baseline"] != before[task_id]["cost_baseline"]
    ]
    assert rebased
    with psycopg.connect(run.incremental_url) as conn:
        defaults = conn.execute(
            """
            select distinct prices.provider, prices.model
            from analytics.task_executions as executions
            inner join analytics.provider_pricing as prices
                on executions.default_price_id = prices.price_id
            where executions.tenant_id = %s and executions.baseline_source = 'default_provider'
            """,
            (scenario.tenant_id,),
        ).fetchall()
    assert defaults == [scenario.new_default]


def test_the_late_usage_event_moved_its_users_first_day(run: Run):
    """The late event made its user new on an earlier day: usage_analytics must have re-built
    the old first day too, of which no event was staged again (the equality test checks how)."""
    tenant_id, _, old_first_day, new_first_day = run.scenario.late_user
    with psycopg.connect(run.incremental_url) as conn:
        first_days = conn.execute(
            """
            select
                min(cast(occurred_at at time zone 'UTC' as date)),
                min(cast(occurred_at at time zone 'UTC' as date))
                    filter (where usage_event_id <> %(late)s)
            from staging.stg_router__usage_events
            where tenant_id = %(tenant)s and user_id = (
                select user_id from staging.stg_router__usage_events
                where usage_event_id = %(late)s
            )
            """,
            {"late": LATE_EVENT_ID, "tenant": tenant_id},
        ).fetchone()
    assert first_days == (new_first_day, old_first_day)


def test_a_refused_batch_then_a_good_one_publish_what_a_full_refresh_does(run: Run):
    """The refused build left its tasks unpriced in the standby (what the missing-cost gate
    refuses); the good batch's run, built on that standby, published them priced, as the full
    refresh does (test_incremental_build_equals_full_refresh compares every row)."""
    batch = run.batch_3
    assert batch.unpriced_in_refused_standby == len(batch.refused_ids) == 10
    ids = sorted(batch.refused_ids | batch.good_ids)
    assert len(ids) == 16
    for url in (run.incremental_url, run.full_refresh_url):
        with psycopg.connect(url) as conn:
            published = {
                task_id: (model, is_priced)
                for task_id, model, is_priced in conn.execute(
                    "select id::text, model, is_priced from analytics.task_executions"
                    " where id::text = any(%s)",
                    (ids,),
                )
            }
        assert published == {task_id: (UNPRICED_MODEL[1], True) for task_id in ids}


def test_a_price_of_one_provider_recosts_only_the_tasks_it_can_change(run: Run):
    """Batch 3's price (UNPRICED_MODEL's provider, from CUTOFF) re-costs that provider's tasks
    after CUTOFF and those of tenants whose default provider it is (their baseline), and no
    other task after CUTOFF: those keep the row batch 2's build wrote."""
    provider = UNPRICED_MODEL[0]
    now = _row_versions(run.incremental_url, "int", "int_task_executions_costed")
    tasks = _tasks(run.incremental_url)
    with psycopg.connect(run.incremental_url) as conn:
        defaults = dict(
            conn.execute(
                "select tenant_id, default_provider_key from staging.stg_router__tenants"
            ).fetchall()
        )
    after_cutoff = [
        task_id
        for task_id, row in tasks.items()
        if row["timestamp_start"] >= CUTOFF and task_id in run.costed_after_batch_2
    ]
    its_own = [task_id for task_id in after_cutoff if tasks[task_id]["provider_used"] == provider]
    others = [
        task_id
        for task_id in after_cutoff
        if tasks[task_id]["provider_used"] != provider
        and defaults[tasks[task_id]["tenant_id"]] != provider
    ]
    assert its_own and others
    assert all(now[task_id] != run.costed_after_batch_2[task_id] for task_id in its_own)
    assert all(now[task_id] == run.costed_after_batch_2[task_id] for task_id in others)
