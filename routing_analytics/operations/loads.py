"""`routing-analytics loads list|withdraw|restore`, and the books of which loads are published.

A load that broke the contract (a sender's bad batch) blocks every run at the data-quality
gates until it is dealt with. The operator withdraws it: its rows stay in raw for the
record, staging ignores them (the reconciliation counts them as withdrawn), and the next
run publishes without them. Restoring it brings it back, to be judged by the gates again.
Both are appended to raw.load_withdrawals (who, when, why), under the scheduled run's lock
so that a run never builds from half a decision.

The rate gates judge only the loads not yet published (raw.published_loads): `run` records
the loads its build judged once it has swapped the build in; `build` once it succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from loader.raw_schema import apply_raw_ddl
from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import UserError
from routing_analytics.platform.locks import run_lock
from routing_analytics.warehouse.publish import discard_standby
from routing_analytics.warehouse.relations import (
    BASE_PROVIDER_PRICING,
    BASE_ROUTING_DECISIONS,
    BASE_TASK_EXECUTIONS,
    BASE_TENANTS,
    ROUTING_DECISIONS,
    TASK_EXECUTIONS,
)

LOADS = """
select
    loads.load_id,
    loads.stream,
    loads.source_file,
    loads.status,
    loads.lines_read,
    loads.rows_landed,
    loads.rows_quarantined,
    loads.started_at,
    published.published_at,
    latest_action.action = 'withdraw' as is_withdrawn,
    latest_action.reason
from raw.loads as loads
left join raw.published_loads as published on published.load_id = loads.load_id
left join lateral (
    select withdrawals.action, withdrawals.reason
    from raw.load_withdrawals as withdrawals
    where withdrawals.load_id = loads.load_id
    order by withdrawals.action_id desc
    limit 1
) as latest_action on true
{where}
order by loads.load_id desc
limit %(limit)s
"""


@dataclass(frozen=True)
class Load:
    load_id: int
    stream: str
    source_file: str
    status: str
    lines_read: int | None
    rows_landed: int | None
    rows_quarantined: int | None
    started_at: datetime
    published_at: datetime | None
    is_withdrawn: bool | None
    reason: str | None

    @property
    def state(self) -> str:
        if self.is_withdrawn:
            return "withdrawn"
        if self.status != "succeeded":
            return self.status
        return "published" if self.published_at else "unpublished"


def list_loads(settings: Settings, *, limit: int, load_id: int | None = None) -> list[Load]:
    with db.connect(settings) as conn:
        apply_raw_ddl(conn)
        where = "where loads.load_id = %(load_id)s" if load_id is not None else ""
        found = conn.execute(
            LOADS.format(where=where), {"limit": limit, "load_id": load_id}
        ).fetchall()
    return [Load(*row) for row in found]


def withdraw(settings: Settings, load_id: int, reason: str, *, wait: bool = True) -> Load:
    """Withdraw a landed load; its rows stay in raw, staging ignores them from the next build."""
    return _act(settings, load_id, "withdraw", reason, wait=wait)


def restore(settings: Settings, load_id: int, reason: str, *, wait: bool = True) -> Load:
    """Undo a withdrawal: the next build stages the load again and the gates judge it."""
    return _act(settings, load_id, "restore", reason, wait=wait)


def _act(settings: Settings, load_id: int, action: str, reason: str, *, wait: bool) -> Load:
    if not reason.strip():
        raise UserError("give a reason (--reason TEXT): it is kept with the load")
    with run_lock(settings, wait=wait):
        current = list_loads(settings, limit=1, load_id=load_id)
        if not current:
            raise UserError(f"no load {load_id}; see `routing-analytics loads list`")
        load = current[0]
        if load.status != "succeeded":
            raise UserError(f"load {load_id} is {load.status}: it landed no rows to {action}")
        if action == "withdraw" and load.is_withdrawn:
            raise UserError(f"load {load_id} is already withdrawn ({load.reason})")
        if action == "restore" and not load.is_withdrawn:
            raise UserError(f"load {load_id} is not withdrawn; nothing to restore")
        with db.connect(settings) as conn, conn.transaction():
            conn.execute(
                "insert into raw.load_withdrawals (load_id, action, reason) values (%s, %s, %s)",
                (load_id, action, reason.strip()),
            )
            if action == "withdraw" and load.published_at is not None:
                _unpublish_task_rows(conn, load)
            # The standby may hold the load's rows (a refused build) or lack them.
            discard_standby(conn)
    return list_loads(settings, limit=1, load_id=load_id)[0]


# The task-level marts are incremental: a row whose record leaves staging would stay. So a
# published load's withdrawal removes the rows it made, or whose figures it fed (a task's
# decisions, its tenant's default provider, the prices of its period), from the live marts;
# the next build re-builds each of them from what staging still holds (after a withdrawal or
# a restore, the marts re-build every task and decision they do not hold) and the aggregates
# from the tasks. Read from the base tables of the last build, which hold every landed row
# of a published load.
UNPUBLISH = {
    # A task's decisions (embedded in its record, or sent apart) say whether it exists.
    "task_executions": [
        f"""delete from {ROUTING_DECISIONS} where (tenant_id, task_execution_id) in (
            select tenant_id, task_execution_id from {BASE_TASK_EXECUTIONS}
            where _load_id = %(load_id)s)""",
        f"""delete from {TASK_EXECUTIONS} where (tenant_id, id) in (
            select tenant_id, task_execution_id from {BASE_TASK_EXECUTIONS}
            where _load_id = %(load_id)s)""",
    ],
    "routing_decisions": [
        f"""delete from {TASK_EXECUTIONS} where (tenant_id, id) in (
            select tenant_id, task_execution_id from {BASE_ROUTING_DECISIONS}
            where _load_id = %(load_id)s)""",
        f"""delete from {ROUTING_DECISIONS} where (tenant_id, task_execution_id) in (
            select tenant_id, task_execution_id from {BASE_ROUTING_DECISIONS}
            where _load_id = %(load_id)s)""",
    ],
    "tenants": [
        f"""delete from {TASK_EXECUTIONS} where tenant_id in (
            select tenant_id from {BASE_TENANTS} where _load_id = %(load_id)s)""",
    ],
    # A price can be any task's price or baseline from its effective_from on.
    "provider_pricing": [
        f"""delete from {TASK_EXECUTIONS} where timestamp_start >= (
            select min(effective_from_at) from {BASE_PROVIDER_PRICING}
            where _load_id = %(load_id)s)""",
    ],
}


def _unpublish_task_rows(conn: psycopg.Connection, load: Load) -> None:
    marts_exist = conn.execute(
        f"select to_regclass('{TASK_EXECUTIONS}') is not null"
        f" and to_regclass('{ROUTING_DECISIONS}') is not null"
    ).fetchone()
    if marts_exist != (True,):
        return
    for statement in UNPUBLISH.get(load.stream, []):
        conn.execute(statement, {"load_id": load.load_id})


def print_loads(settings: Settings, *, limit: int) -> int:
    loads = list_loads(settings, limit=limit)
    if not loads:
        print("no loads yet")
        return 0
    print(
        f"{'load_id':>8}  {'stream':<17} {'state':<11} {'lines':>9} {'landed':>9}"
        f" {'quarantined':>11}  {'started (UTC)':<19}  file / reason"
    )
    for load in loads:
        note = load.source_file + (f"  ({load.reason})" if load.is_withdrawn else "")
        print(
            f"{load.load_id:>8}  {load.stream:<17} {load.state:<11} {_count(load.lines_read)}"
            f" {_count(load.rows_landed)} {_count(load.rows_quarantined, 11)}"
            f"  {load.started_at:%Y-%m-%d %H:%M:%S}  {note}"
        )
    return 0


def print_action(settings: Settings, load_id: int, action: str, reason: str) -> int:
    act = withdraw if action == "withdraw" else restore
    load = act(settings, load_id, reason)
    verb = "withdrawn" if action == "withdraw" else "restored"
    print(
        f"load {load.load_id} ({load.stream}, {load.source_file}, {_count(load.rows_landed, 0)}"
        f" rows) {verb}; recorded in raw.load_withdrawals. It takes effect at the next"
        " `routing-analytics run` or `build`."
    )
    return 0


def _count(value: int | None, width: int = 9) -> str:
    return f"{'-' if value is None else f'{value:,}':>{width}}"
