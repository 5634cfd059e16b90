"""Write-audit-publish without copying history: two persistent copies of the marts, the live
`analytics` and the standby `analytics_next`, trade places in one transaction (docs/publishing.md).

A run builds into the standby, which holds the marts as published one swap ago: its
incremental models catch up with what was staged since their own newest input (the changes
of the last two runs), the other models are rebuilt. Readers have no usage on the standby.
When the build and its gates pass, the two schemas swap names, and the loads the gates judged
are recorded as published, in the same transaction. Whatever changes the live marts outside
a run (a `build`, retention, a load withdrawn or restored) discards the standby: the next run
seeds it again with a copy of the live marts."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import psycopg
from psycopg import sql

from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import TransientError
from routing_analytics.warehouse.relations import ANALYST_ROLE, PUBLISHED_SCHEMA, READER_ROLE

# Loads a build would judge now: landed, not yet published, not withdrawn.
UNPUBLISHED_LOADS = """
select loads.load_id
from raw.loads as loads
where loads.status = 'succeeded'
  and not exists (
    select from raw.published_loads as published where published.load_id = loads.load_id
  )
  and coalesce((
    select withdrawals.action = 'withdraw'
    from raw.load_withdrawals as withdrawals
    where withdrawals.load_id = loads.load_id
    order by withdrawals.action_id desc
    limit 1
  ), false) is false
order by 1
"""


NEXT = "_next"
STANDBY_SCHEMA = PUBLISHED_SCHEMA + NEXT
PUBLISH_LOCK_TIMEOUT_MS = 500
PUBLISH_RETRY_DELAYS_S = (1.0, 2.0, 4.0, 8.0, 15.0)

# How long the swap waits for the live tables' locks. PostgreSQL cancels an autovacuum that
# blocks a lock request only once the request has waited deadlock_timeout (1 s by default):
# with 500 ms, a vacuum of a live table would outlast every attempt. So while an autovacuum
# worker holds a lock on a table of the live schema (a partition included; pg_locks shows
# every database, whose tables' oids may coincide with ours), an attempt waits
# deadlock_timeout and 500 ms more; otherwise 500 ms, so that a reader's open transaction
# holds the dashboards that queue behind the swap no longer than that.
LIVE_LOCK_TIMEOUT = """
select case
    when exists (
        select
        from pg_catalog.pg_locks as locks
        inner join pg_catalog.pg_stat_activity as activity on locks.pid = activity.pid
        inner join pg_catalog.pg_class as class on locks.relation = class.oid
        where
            activity.backend_type = 'autovacuum worker'
            and locks.database = (
                select oid from pg_catalog.pg_database where datname = current_database()
            )
            and class.relnamespace = to_regnamespace(%(schema)s)
    )
    then (select setting::integer from pg_catalog.pg_settings where name = 'deadlock_timeout')
        + %(wait_ms)s
    else %(wait_ms)s
end || 'ms'
"""

# The tables of a schema with the partition key of each (the catalog's text, e.g. RANGE
# (timestamp_start); null when not partitioned). A partition goes with its table: it is
# copied with it, and locking the table locks it.
LIVE_TABLES = """
select class.relname, pg_catalog.pg_get_partkeydef(class.oid)
from pg_catalog.pg_class as class
where
    class.relnamespace = %s::regnamespace
    and class.relkind in ('r', 'p')
    and not class.relispartition
order by 1
"""

# A partitioned table's partitions: the name and the bounds clause of each.
PARTITIONS = """
select child.relname, pg_catalog.pg_get_expr(child.relpartbound, child.oid)
from pg_catalog.pg_inherits as inheritance
inner join pg_catalog.pg_class as child on inheritance.inhrelid = child.oid
where inheritance.inhparent = %s::regclass
order by 1
"""


# Relations dbt leaves behind when it is killed between creating and renaming them.
DBT_LEFTOVERS = r"""
select namespace.nspname, class.relname, class.relkind
from pg_catalog.pg_class as class
inner join pg_catalog.pg_namespace as namespace on namespace.oid = class.relnamespace
where class.relkind in ('r', 'v', 'm', 'p')
  and (class.relname like '%\_\_dbt\_backup' or class.relname like '%\_\_dbt\_tmp%')
  and not class.relispartition
  and namespace.nspname not in ('pg_catalog', 'information_schema', 'raw')
"""


def drop_dbt_leftovers(settings: Settings) -> list[str]:
    """What a killed build left (under the run lock: no other dbt is running)."""
    dropped = []
    with db.connect(settings, autocommit=True) as conn:
        for schema, name, kind in conn.execute(DBT_LEFTOVERS).fetchall():
            noun = {"v": "view", "m": "materialized view"}.get(kind, "table")
            conn.execute(
                sql.SQL("drop {} if exists {} cascade").format(
                    sql.SQL(noun), sql.Identifier(schema, name)
                )
            )
            dropped.append(f"{schema}.{name}")
    return dropped


def discard_standby(conn: psycopg.Connection) -> None:
    """In the caller's transaction: the live marts are about to change outside a run."""
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(STANDBY_SCHEMA)))


def prepare_next(settings: Settings) -> bool:
    """The schema the run builds into: the standby when there is one (the incremental marts
    continue from its own state), else a new one seeded with a copy of the live tables
    (indexes and constraints included). True when it had to be seeded."""
    with db.connect(settings) as conn, conn.transaction():
        if _schema_exists(conn, STANDBY_SCHEMA):
            return False
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(STANDBY_SCHEMA)))
        if not _schema_exists(conn, PUBLISHED_SCHEMA):
            return True
        for table, partition_key in conn.execute(LIVE_TABLES, (PUBLISHED_SCHEMA,)).fetchall():
            _copy_table(conn, table, partition_key)
    return True


def _copy_table(conn: psycopg.Connection, table: str, partition_key: str | None) -> None:
    """The standby's copy of a live table, partitioned as it is, with the same partitions."""
    live, copy = sql.Identifier(PUBLISHED_SCHEMA, table), sql.Identifier(STANDBY_SCHEMA, table)
    layout = sql.SQL(" partition by " + partition_key) if partition_key else sql.SQL("")
    conn.execute(sql.SQL("create table {} (like {} including all){}").format(copy, live, layout))
    for partition, bounds in conn.execute(PARTITIONS, (live.as_string(conn),)).fetchall():
        conn.execute(
            sql.SQL("create table {} partition of {} {}").format(
                sql.Identifier(STANDBY_SCHEMA, partition), copy, sql.SQL(bounds)
            )
        )
    conn.execute(sql.SQL("insert into {} select * from {}").format(copy, live))


def swap_in_next(settings: Settings, judged_loads: list[int]) -> None:
    """Publish, waiting at most PUBLISH_LOCK_TIMEOUT_MS per attempt for the live marts' locks
    (longer while autovacuum works on them, see LIVE_LOCK_TIMEOUT):
    a renaming waits for every reader's transaction on them, and every dashboard query that
    arrives meanwhile queues behind it. A reader holding a transaction open must not stall
    the dashboards of every tenant, so the swap gives way and tries again; exit 75 when the
    lock never came (the live marts are unchanged; the standby is kept for the next run)."""

    def attempt() -> None:
        lock_timeout = _live_lock_timeout(settings)
        try:
            _swap(settings, judged_loads, lock_timeout)
        except TransientError as error:
            if not isinstance(error.__cause__, psycopg.errors.LockNotAvailable):
                raise
            raise TransientError(
                f"publishing waited over {lock_timeout} for a lock on the live marts"
                " (a reader's open transaction, or an autovacuum that cannot be cancelled)"
            ) from error

    db.with_retries(attempt, on_retry=_publish_retry, delays=PUBLISH_RETRY_DELAYS_S)


def _publish_retry(message: str) -> None:
    print(f"routing-analytics: warning: {message}", file=sys.stderr, flush=True)


def _swap(settings: Settings, judged_loads: list[int], lock_timeout: str) -> None:
    """One transaction: the checked standby and the live schema trade names, readers keep
    usage on the live one only, and the loads the build's gates judged are recorded as
    published (the next run's gates judge only what it adds). It first takes every live
    table's lock: a reader's transaction that has read one of them finishes on the old set,
    so no reader sees a mix of the two."""
    live, standby, swapping = (
        sql.Identifier(PUBLISHED_SCHEMA),
        sql.Identifier(STANDBY_SCHEMA),
        sql.Identifier(PUBLISHED_SCHEMA + "_swapping"),
    )
    readers = sql.SQL(", ").join(sql.Identifier(role) for role in (READER_ROLE, ANALYST_ROLE))
    with db.connect(settings) as conn, conn.transaction():
        conn.execute("select pg_catalog.set_config('lock_timeout', %s, true)", (lock_timeout,))
        mark_published(conn, judged_loads, "run")
        if _schema_exists(conn, PUBLISHED_SCHEMA):
            tables = [sql.Identifier(PUBLISHED_SCHEMA, t) for t in _tables(conn, PUBLISHED_SCHEMA)]
            if tables:
                conn.execute(
                    sql.SQL("lock table {} in access exclusive mode").format(
                        sql.SQL(", ").join(tables)
                    )
                )
            conn.execute(sql.SQL("alter schema {} rename to {}").format(live, swapping))
            conn.execute(sql.SQL("alter schema {} rename to {}").format(standby, live))
            conn.execute(sql.SQL("alter schema {} rename to {}").format(swapping, standby))
            conn.execute(sql.SQL("revoke usage on schema {} from {}").format(standby, readers))
        else:
            conn.execute(sql.SQL("alter schema {} rename to {}").format(standby, live))
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(live, readers))


def _live_lock_timeout(settings: Settings) -> str:
    """The lock_timeout of the next attempt (LIVE_LOCK_TIMEOUT), as PostgreSQL reads it."""
    parameters = {"schema": PUBLISHED_SCHEMA, "wait_ms": PUBLISH_LOCK_TIMEOUT_MS}
    with db.connect(settings, autocommit=True) as conn:
        row = conn.execute(LIVE_LOCK_TIMEOUT, parameters).fetchone()
    return str(row[0]) if row else f"{PUBLISH_LOCK_TIMEOUT_MS}ms"


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("select to_regnamespace(%s) is not null", (schema,)).fetchone() == (True,)


def _tables(conn: psycopg.Connection, schema: str) -> list[str]:
    return [table for table, _ in conn.execute(LIVE_TABLES, (schema,)).fetchall()]


def unpublished_loads(conn: psycopg.Connection) -> list[int]:
    """The loads the next build's gates judge; taken before the build, recorded after it."""
    return [load_id for (load_id,) in conn.execute(UNPUBLISHED_LOADS).fetchall()]


def mark_published(conn: psycopg.Connection, load_ids: Sequence[int], by: str) -> None:
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into raw.published_loads (load_id, published_by) values (%s, %s)"
            " on conflict (load_id) do nothing",
            [(load_id, by) for load_id in load_ids],
        )
