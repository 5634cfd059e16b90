"""A record id is unique within its tenant only: every key and every join of tenant data
starts with tenant_id (ready for a database distributed by tenant). Two tenants that send
the same id keep a record each; one tenant's record never replaces, or is joined to,
another tenant's."""

from __future__ import annotations

from pathlib import Path

import orjson
import psycopg
import pytest
from conftest import Warehouse, cli, rows

pytestmark = pytest.mark.integration

TASK_COLUMNS = "tenant_id, provider_used, cost_actual, cost_baseline, has_routing_decision"
# A unique index on the id alone, as a warehouse built before the keys began with tenant_id
# has it: the next build drops it first (macros/warehouse/drop_retired_indexes.sql),
# or the second tenant's record could not be staged.
RETIRED_KEY = "create unique index retired_task_key on {} (task_execution_id)"
RETIRED_KEY_TABLES = ("staging.stg_router__task_executions", "int.int_task_executions_costed")


def _records(warehouse: Warehouse, stream: str) -> list[dict]:
    return [
        orjson.loads(line)
        for source in warehouse.generated.files[stream]
        for line in source.read_bytes().splitlines()
    ]


def _other_tenant(records: list[dict], tenant: str) -> str:
    return next(record["tenant_id"] for record in records if record["tenant_id"] != tenant)


def _write(folder: Path, name: str, records: list[dict]) -> None:
    (folder / name).write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))


def test_two_tenants_that_send_the_same_ids_keep_a_record_each(
    published_copy: Warehouse, tmp_path: Path
) -> None:
    warehouse = published_copy
    tasks = _records(warehouse, "task_executions")
    owned = next(
        task
        for task in tasks
        if isinstance(task.get("routing_decision"), dict)
        and task["status"] == "completed"
        and task.get("cost_baseline") is None
    )
    owner = owned["tenant_id"]
    intruder = _other_tenant(tasks, owner)
    # Another task of the owner that the intruder's stand-alone decision names.
    named = next(task for task in tasks if task["tenant_id"] == owner and task is not owned)
    event = next(e for e in _records(warehouse, "usage_events") if e["tenant_id"] == owner)

    # The same task and decision ids; a baseline of its own (the decision's estimates).
    same_task = owned | {
        "tenant_id": intruder,
        "routing_decision": owned["routing_decision"] | {"cost_estimates": {"openai": "9"}},
    }
    stray_decision = {
        "id": "0c0c0c0c-0000-4000-8000-000000000001",
        "task_execution_id": named["id"],
        "tenant_id": intruder,
        "provider_selected": "openai",
        "routing_reason": "lowest_cost",
        "decided_at": named["timestamp_start"],
        "providers_evaluated": ["openai"],
        "cost_estimates": {"openai": "1"},
        "routing_strategy": "lowest_cost",
        "user_preferences": {},
    }
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _write(inbox, "task_executions_same_ids.jsonl", [same_task])
    _write(inbox, "routing_decisions_same_ids.jsonl", [stray_decision])
    _write(inbox, "usage_events_same_ids.jsonl", [event | {"tenant_id": intruder}])

    task_query = (
        f"select {TASK_COLUMNS} from analytics.task_executions"
        f" where id = '{owned['id']}' order by tenant_id"
    )
    (owners_task,) = rows(warehouse.url, task_query)
    with psycopg.connect(warehouse.url, autocommit=True) as admin:
        for table in RETIRED_KEY_TABLES:
            admin.execute(RETIRED_KEY.format(table))

    result = cli(warehouse.env, "run", str(inbox))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

    found = rows(warehouse.url, task_query)
    assert [row[0] for row in found] == sorted([owner, intruder])
    assert owners_task in found, "the owner's task changed"
    intruders_task = next(row for row in found if row[0] == intruder)
    assert intruders_task[3] == 9  # its own embedded decision's estimate, not the owner's
    assert intruders_task[4] is True

    decisions = rows(
        warehouse.url,
        "select tenant_id, id::text, has_task_execution from analytics.routing_decisions"
        f" where task_execution_id in ('{owned['id']}', '{named['id']}')"
        " order by tenant_id, id",
    )
    assert sorted(decisions) == sorted(
        [
            (owner, owned["routing_decision"]["id"], True),
            (intruder, owned["routing_decision"]["id"], True),
            *[(owner, d["id"], True) for d in _decisions_of(warehouse, named["id"])],
            # The intruder's decision names the owner's task: not a link across tenants.
            (intruder, stray_decision["id"], False),
        ]
    )
    assert rows(
        warehouse.url,
        "select tenant_id from staging.stg_router__usage_events"
        f" where usage_event_id = '{event['id']}' order by tenant_id",
    ) == [(tenant,) for tenant in sorted([owner, intruder])]
    assert rows(
        warehouse.url,
        "select count(*) from pg_indexes where indexname = 'retired_task_key'",
    ) == [(0,)]


def _decisions_of(warehouse: Warehouse, task_id: str) -> list[dict]:
    """The decisions the generated data has for a task (embedded or sent apart)."""
    embedded = [
        task["routing_decision"]
        for task in _records(warehouse, "task_executions")
        if task["id"] == task_id and isinstance(task.get("routing_decision"), dict)
    ]
    sent_apart = [
        decision
        for decision in _records(warehouse, "routing_decisions")
        if decision.get("task_execution_id") == task_id
    ]
    return embedded + sent_apart
