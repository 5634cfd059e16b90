"""`routing-analytics retention`: the design document's retention promise (section 3).

Task-level detail (task executions, routing decisions, usage events) is kept for 90 days,
aggregates for 2 years, quarantined lines for 14 days; all three are options. One
transaction, under the scheduled run's lock (a run copying the marts meanwhile would bring
deleted rows back):

1. record the horizons in retention.runs; the aggregate marts read the newest
   detail_kept_from and from then on rebuild only the periods after it (their incremental
   strategies), so the figures of older periods stay exactly as they are;
2. remember, per tenant and pseudonymous user, the days of the usage events about to go
   (retention.usage_users_seen), so that usage_analytics still counts a user new once;
3. delete the detail: whole tasks (every version, their routing decisions) that started
   before the horizon, usage events that occurred before it, decisions of unknown tasks
   decided before it, rejected records landed or dated before it; from raw, the staging base
   tables, the detail marts and the data-quality review tables;
4. delete the aggregate rows whose period ended before the aggregate horizon, and
   quarantined lines set aside before the quarantine horizon.

Horizons of detail and aggregates are UTC midnights, so that a day's figures are sealed
whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from loader.raw_schema import apply_raw_ddl
from routing_analytics.platform import db
from routing_analytics.platform.config import (
    RETENTION_AGGREGATE_DAYS,
    RETENTION_DETAIL_DAYS,
    RETENTION_QUARANTINE_DAYS,
    Settings,
)
from routing_analytics.platform.errors import UserError
from routing_analytics.platform.locks import run_lock
from routing_analytics.warehouse.publish import discard_standby
from routing_analytics.warehouse.reconciliation import refresh_reconciliation
from routing_analytics.warehouse.relations import (
    BASE_ROUTING_DECISIONS,
    BASE_TASK_EXECUTIONS,
    BASE_USAGE_EVENTS,
    COST_BREAKDOWNS_DAILY,
    CUSTOMER_ROI_SNAPSHOTS,
    DAILY_TENANT_METRICS,
    INT_TASK_EXECUTIONS_COSTED,
    INT_TASK_EXECUTIONS_SUMMED_BY_DAY,
    INT_TASK_EXECUTIONS_WITH_SAVINGS,
    PROVIDER_PERFORMANCE,
    ROUTING_DECISIONS,
    STG_ROUTING_DECISIONS,
    STG_TASK_EXECUTIONS,
    STG_USAGE_EVENTS,
    TASK_EXECUTIONS,
    USAGE_ANALYTICS,
)

REQUIRED_RELATIONS = (
    f"{BASE_TASK_EXECUTIONS}",
    f"{BASE_ROUTING_DECISIONS}",
    f"{BASE_USAGE_EVENTS}",
    f"{STG_TASK_EXECUTIONS}",
    f"{STG_USAGE_EVENTS}",
    f"{INT_TASK_EXECUTIONS_COSTED}",
    f"{INT_TASK_EXECUTIONS_WITH_SAVINGS}",
    f"{TASK_EXECUTIONS}",
    f"{ROUTING_DECISIONS}",
)

# A record is named by (tenant_id, its id): an id is unique within its tenant only.
IS_FORGOTTEN_TASK = (
    "(tenant_id, task_execution_id) in (select tenant_id, task_execution_id from forgotten_tasks)"
)
IS_FORGOTTEN_USAGE_EVENT = (
    "(tenant_id, usage_event_id) in (select tenant_id, usage_event_id from forgotten_usage_events)"
)

# Raw rows are addressed through the staging base tables: one base row per raw row, with
# the raw row's (_load_id, _line_number) and the typed fields the rules need.
FORGOTTEN_ROWS = (
    f"""
    create temporary table forgotten_tasks on commit drop as
    select tenant_id, task_execution_id from {STG_TASK_EXECUTIONS}
    where started_at < %(detail)s
    union
    select tenant_id, id from {TASK_EXECUTIONS} where timestamp_start < %(detail)s
    """,
    f"""
    create temporary table forgotten_usage_events on commit drop as
    select tenant_id, usage_event_id from {STG_USAGE_EVENTS}
    where occurred_at < %(detail)s
    """,
    f"""
    create temporary table forgotten_raw_rows on commit drop as
    select 'task_executions' as stream, _load_id, _line_number
    from {BASE_TASK_EXECUTIONS}
    where {IS_FORGOTTEN_TASK}
       or (is_rejected and (_loaded_at < %(detail)s or started_at < %(detail)s))
    union all
    select 'routing_decisions', _load_id, _line_number
    from {BASE_ROUTING_DECISIONS} as decisions
    where not is_embedded and (
        {IS_FORGOTTEN_TASK}
        or (is_rejected and (_loaded_at < %(detail)s or decided_at < %(detail)s))
        or (decided_at < %(detail)s and not exists (
            select from {STG_TASK_EXECUTIONS} as tasks
            where tasks.tenant_id = decisions.tenant_id
              and tasks.task_execution_id = decisions.task_execution_id
        ))
    )
    union all
    select 'usage_events', _load_id, _line_number
    from {BASE_USAGE_EVENTS}
    where {IS_FORGOTTEN_USAGE_EVENT}
       or (is_rejected and (_loaded_at < %(detail)s or occurred_at < %(detail)s))
    """,
    "create index on forgotten_raw_rows (stream, _load_id, _line_number)",
    "analyze forgotten_tasks",
    "analyze forgotten_usage_events",
    "analyze forgotten_raw_rows",
)

# A decision embedded in a task record is a row of the task's raw line: it goes with it.
EMBEDDED_DECISIONS_DELETE = f"""
delete from {BASE_ROUTING_DECISIONS} as decisions
using forgotten_raw_rows as forgotten
where decisions.is_embedded
  and forgotten.stream = 'task_executions'
  and decisions._load_id = forgotten._load_id
  and decisions._line_number = forgotten._line_number
"""

USERS_REMEMBERED = f"""
insert into retention.usage_users_seen as seen
    (tenant_id, user_id, first_seen_date, last_seen_date)
select
    tenant_id,
    user_id,
    min(cast(occurred_at at time zone 'UTC' as date)),
    max(cast(occurred_at at time zone 'UTC' as date))
from {STG_USAGE_EVENTS}
where {IS_FORGOTTEN_USAGE_EVENT}
  and user_id is not null
group by tenant_id, user_id
on conflict (tenant_id, user_id) do update set
    first_seen_date = least(seen.first_seen_date, excluded.first_seen_date),
    last_seen_date = greatest(seen.last_seen_date, excluded.last_seen_date)
"""


def _decisions_delete(decisions: str, tasks: str, task_key: str) -> str:
    """The decisions of forgotten tasks, and old decisions whose task is not held."""
    return f"""
        delete from {decisions} as decisions
        where {IS_FORGOTTEN_TASK}
           or (decided_at < %(detail)s and not exists (
               select from {tasks} as tasks
               where tasks.tenant_id = decisions.tenant_id
                 and tasks.{task_key} = decisions.task_execution_id
           ))
    """


# The deduplicated staging tables (incremental: a build adds, it never forgets) and the
# task-level marts lose the forgotten records as their base rows do; in this order (the
# decisions' statements read the tasks).
DETAIL_DELETES = {
    f"{STG_TASK_EXECUTIONS}": f"""
        delete from {STG_TASK_EXECUTIONS}
        where {IS_FORGOTTEN_TASK}
    """,
    f"{STG_ROUTING_DECISIONS}": _decisions_delete(
        STG_ROUTING_DECISIONS, STG_TASK_EXECUTIONS, "task_execution_id"
    ),
    f"{STG_USAGE_EVENTS}": f"""
        delete from {STG_USAGE_EVENTS}
        where {IS_FORGOTTEN_USAGE_EVENT}
    """,
    **{
        relation: f"""
            delete from {relation}
            where {IS_FORGOTTEN_TASK}
        """
        for relation in (INT_TASK_EXECUTIONS_COSTED, INT_TASK_EXECUTIONS_WITH_SAVINGS)
    },
    f"{TASK_EXECUTIONS}": f"""
        delete from {TASK_EXECUTIONS}
        where (tenant_id, id) in (select tenant_id, task_execution_id from forgotten_tasks)
    """,
    f"{ROUTING_DECISIONS}": _decisions_delete(ROUTING_DECISIONS, TASK_EXECUTIONS, "id"),
}

# A row is an old aggregate when its whole period ended before the aggregate horizon.
AGGREGATE_DELETES = {
    f"{USAGE_ANALYTICS}": f"delete from {USAGE_ANALYTICS} where date < %(day)s",
    f"{CUSTOMER_ROI_SNAPSHOTS}": (
        f"delete from {CUSTOMER_ROI_SNAPSHOTS} where snapshot_date < %(day)s"
    ),
    f"{PROVIDER_PERFORMANCE}": (
        f"delete from {PROVIDER_PERFORMANCE} where period_end <= %(aggregates)s"
    ),
    f"{COST_BREAKDOWNS_DAILY}": (f"delete from {COST_BREAKDOWNS_DAILY} where date < %(day)s"),
    f"{DAILY_TENANT_METRICS}": (f"delete from {DAILY_TENANT_METRICS} where date < %(day)s"),
    f"{INT_TASK_EXECUTIONS_SUMMED_BY_DAY}": (
        f"delete from {INT_TASK_EXECUTIONS_SUMMED_BY_DAY} where date < %(day)s"
    ),
    "monitoring.data_quality": (
        "delete from monitoring.data_quality where checked_at < %(aggregates)s"
    ),
    # Forgotten once no kept day can count the user: last seen before the horizon, and no
    # usage event kept.
    "retention.usage_users_seen": f"""
        delete from retention.usage_users_seen as seen
        where last_seen_date < %(day)s and not exists (
            select from {STG_USAGE_EVENTS} as events
            where events.tenant_id = seen.tenant_id and events.user_id = seen.user_id
        )
    """,
}


@dataclass(frozen=True)
class RetentionPolicy:
    detail_days: int = RETENTION_DETAIL_DAYS
    aggregate_days: int = RETENTION_AGGREGATE_DAYS
    quarantine_days: int = RETENTION_QUARANTINE_DAYS

    def validate(self) -> None:
        if self.detail_days < 1 or self.aggregate_days < 1 or self.quarantine_days < 0:
            raise UserError("retention periods are whole days: detail and aggregates >= 1")
        if self.aggregate_days < self.detail_days:
            raise UserError(
                f"aggregates ({self.aggregate_days} days) cannot be kept shorter than the"
                f" detail they are computed from ({self.detail_days} days)"
            )


@dataclass(frozen=True)
class Horizons:
    """Everything older than these goes."""

    detail: datetime
    aggregates: datetime
    quarantine: datetime

    @classmethod
    def measured(cls, policy: RetentionPolicy, as_of: datetime) -> Horizons:
        moment = as_of.astimezone(UTC)
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(
            detail=midnight - timedelta(days=policy.detail_days),
            aggregates=midnight - timedelta(days=policy.aggregate_days),
            quarantine=moment - timedelta(days=policy.quarantine_days),
        )


@dataclass
class RetentionRun:
    horizons: Horizons
    rows_removed: dict[str, int] = field(default_factory=dict)
    users_remembered: int = 0
    # The newest detail horizon of all runs: the aggregate marts seal the periods before it.
    sealed_before: datetime | None = None
    # Counted in a transaction that was rolled back: nothing was deleted.
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.rows_removed.values())


class _RolledBack(Exception):
    """Ends a dry run's transaction: everything it deleted is rolled back."""


def apply_retention(
    settings: Settings,
    policy: RetentionPolicy,
    *,
    as_of: datetime | None = None,
    wait: bool,
    dry_run: bool = False,
) -> RetentionRun:
    policy.validate()
    moment = as_of or datetime.now(UTC)
    run = RetentionRun(Horizons.measured(policy, moment))
    with run_lock(settings, wait=wait), db.connect(settings) as conn:
        apply_raw_ddl(conn)
        missing = [name for name in REQUIRED_RELATIONS if not db.relation_exists(conn, name)]
        if missing:
            raise UserError(
                f"the warehouse is not built ({', '.join(missing)} missing):"
                " run `routing-analytics build` first"
            )
        try:
            with conn.transaction():
                _retain(conn, run, moment)
                if dry_run:
                    raise _RolledBack
                refresh_reconciliation(conn)
        except _RolledBack:
            run.dry_run = True
    return run


def _retain(conn: psycopg.Connection, run: RetentionRun, as_of: datetime) -> None:
    horizons = run.horizons
    params = {
        "detail": horizons.detail,
        "aggregates": horizons.aggregates,
        "day": horizons.aggregates.date(),
    }
    conn.execute("set local routing_analytics.maintenance = 'on'")
    # The deletes below change the live marts only; the next run seeds a new standby.
    discard_standby(conn)
    run_id = _record_run(conn, horizons, as_of)
    for statement in FORGOTTEN_ROWS:
        conn.execute(statement, params)
    run.users_remembered = conn.execute(USERS_REMEMBERED).rowcount
    removed = run.rows_removed
    for stream in ("task_executions", "routing_decisions", "usage_events"):
        for schema, table in (("raw", stream), ("staging", f"base_router__{stream}")):
            dropped = _drop_forgotten_partitions(conn, schema, table, stream, horizons.detail)
            deleted = _delete_forgotten_raw_rows(conn, schema, table, stream)
            removed[f"{schema}.{table}"] = dropped + deleted
    removed[f"{BASE_ROUTING_DECISIONS}"] += conn.execute(EMBEDDED_DECISIONS_DELETE).rowcount
    task_months_dropped = _drop_forgotten_task_months(conn, horizons.detail)
    for relation, statement in DETAIL_DELETES.items():
        removed[relation] = conn.execute(statement, params).rowcount
    removed[TASK_EXECUTIONS] += task_months_dropped
    # The data-quality review tables (dbt store_failures) list tasks: they go with them.
    for schema, table in db.tables_with_column(conn, "timestamp_start"):
        if not schema.endswith("dbt_test__audit"):
            continue
        removed[f"{schema}.{table}"] = conn.execute(
            sql.SQL("delete from {} where timestamp_start < %s").format(
                sql.Identifier(schema, table)
            ),
            (horizons.detail,),
        ).rowcount
    for relation, statement in AGGREGATE_DELETES.items():
        if db.relation_exists(conn, relation):
            removed[relation] = conn.execute(statement, params).rowcount
    removed["raw.quarantined_lines"] = conn.execute(
        "delete from raw.quarantined_lines where _quarantined_at < %s", (horizons.quarantine,)
    ).rowcount
    conn.execute(
        "update retention.runs set rows_removed = %s, ran_at = now() where run_id = %s",
        (json.dumps(removed, sort_keys=True), run_id),
    )
    sealed = conn.execute("select max(detail_kept_from) from retention.runs").fetchone()
    run.sealed_before = sealed[0] if sealed else None


def _record_run(conn: psycopg.Connection, horizons: Horizons, as_of: datetime) -> int:
    row = conn.execute(
        """
        insert into retention.runs
            (as_of, detail_kept_from, aggregates_kept_from, quarantine_kept_from)
        values (%s, %s, %s, %s)
        returning run_id
        """,
        (as_of, horizons.detail, horizons.aggregates, horizons.quarantine),
    ).fetchone()
    assert row is not None
    return int(row[0])


# The monthly partitions of a table with the end of their range: task_executions_2026_11
# ends at 2026-12-01, task_executions_before_2026_11 at 2026-11-01 (UTC). Raw tables are
# partitioned by landing month (loader/ddl/raw.sql), and so is the staging base table of
# tasks; the task mart by the tasks' month (macros/partitions/).
MONTH_PARTITIONS = """
select
    child.relname,
    case
        when child.relname ~ '_before_\\d{4}_\\d{2}$'
            then to_date(right(child.relname, 7), 'YYYY_MM')
        else to_date(right(child.relname, 7), 'YYYY_MM') + interval '1 month'
    end at time zone 'UTC' as landed_before
from pg_catalog.pg_inherits as inheritance
inner join pg_catalog.pg_class as child on child.oid = inheritance.inhrelid
where inheritance.inhparent = to_regclass(%s)
order by 2
"""


def _drop_forgotten_partitions(
    conn: psycopg.Connection, schema: str, table: str, stream: str, detail: datetime
) -> int:
    """Drop the landing months of a table of raw rows (raw.<stream>, or its staging base
    table) that hold forgotten rows only: a whole month goes at the cost of a catalog
    change, without a row-by-row delete (and its dead rows). Only months that ended before
    the detail horizon can qualify; each is checked row by row against forgotten_raw_rows,
    since a late-landed record of a recent task may sit in one."""
    rows_dropped = 0
    for month in _months_ended_by(conn, f"{schema}.{table}", detail):
        held, kept = conn.execute(
            sql.SQL(
                """
                select count(*), count(*) filter (where forgotten._load_id is null)
                from {} as landed
                left join forgotten_raw_rows as forgotten
                    on forgotten.stream = %s
                    and forgotten._load_id = landed._load_id
                    and forgotten._line_number = landed._line_number
                """
            ).format(month),
            (stream,),
        ).fetchone() or (0, 0)
        if kept == 0:
            conn.execute(sql.SQL("drop table {}").format(month))
            rows_dropped += held
    return rows_dropped


def _drop_forgotten_task_months(conn: psycopg.Connection, detail: datetime) -> int:
    """Drop the months of the task mart that ended before the detail horizon: every task in
    them is forgotten (forgotten_tasks holds every task that started before it), so the
    month goes whole, without a row-by-row delete. Returns the rows they held."""
    rows_dropped = 0
    for month in _months_ended_by(conn, TASK_EXECUTIONS, detail):
        held = conn.execute(sql.SQL("select count(*) from {}").format(month)).fetchone()
        conn.execute(sql.SQL("drop table {}").format(month))
        rows_dropped += held[0] if held else 0
    return rows_dropped


def _months_ended_by(
    conn: psycopg.Connection, relation: str, horizon: datetime
) -> list[sql.Identifier]:
    """The monthly partitions of `relation` (schema.table) whose range ended by `horizon`."""
    schema = relation.split(".", maxsplit=1)[0]
    return [
        sql.Identifier(schema, partition)
        for partition, ended_before in conn.execute(MONTH_PARTITIONS, (relation,)).fetchall()
        if ended_before <= horizon
    ]


def _delete_forgotten_raw_rows(
    conn: psycopg.Connection, schema: str, table: str, stream: str
) -> int:
    statement = sql.SQL(
        """
        delete from {} as landed
        using forgotten_raw_rows as forgotten
        where forgotten.stream = %s
          and landed._load_id = forgotten._load_id
          and landed._line_number = forgotten._line_number
        """
    ).format(sql.Identifier(schema, table))
    return conn.execute(statement, (stream,)).rowcount


def print_retention(
    settings: Settings,
    policy: RetentionPolicy,
    *,
    as_of: datetime | None,
    wait: bool,
    dry_run: bool = False,
) -> int:
    run = apply_retention(settings, policy, as_of=as_of, wait=wait, dry_run=dry_run)
    horizons = run.horizons
    if run.dry_run:
        for relation, rows in sorted(run.rows_removed.items()):
            if rows:
                print(f"  {relation}: {rows:,} rows would be removed")
        print(
            f"dry run: {run.total:,} rows would be removed (detail before"
            f" {horizons.detail:%Y-%m-%d}, aggregates before {horizons.aggregates:%Y-%m-%d},"
            f" quarantined lines before {horizons.quarantine:%Y-%m-%d %H:%M} UTC);"
            " nothing was changed"
        )
        return 0
    sealed_before = (run.sealed_before or horizons.detail).astimezone(UTC)
    if run.users_remembered:
        print(f"  retention.usage_users_seen: {run.users_remembered:,} users remembered")
    for relation, rows in sorted(run.rows_removed.items()):
        if rows:
            print(f"  {relation}: {rows:,} rows")
    print(
        f"retention: {run.total:,} rows in one transaction. Kept task-level detail from"
        f" {horizons.detail:%Y-%m-%d}, aggregates from {horizons.aggregates:%Y-%m-%d},"
        f" quarantined lines from {horizons.quarantine:%Y-%m-%d %H:%M} UTC; aggregate"
        f" periods before {sealed_before:%Y-%m-%d} are sealed"
        " (kept as they are)."
    )
    return 0
