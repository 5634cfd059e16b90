"""Write-audit-publish: build into analytics_next, then swap it in for analytics in one
transaction, with the loads its gates judged recorded as published in that transaction."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import psycopg
from psycopg import sql

from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import TransientError
from routing_analytics.warehouse.relations import PUBLISHED_SCHEMA

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
PUBLISH_LOCK_TIMEOUT = "500ms"
PUBLISH_RETRY_DELAYS_S = (1.0, 2.0, 4.0, 8.0, 15.0)

LIVE_TABLES = """
select class.relname
from pg_catalog.pg_class as class
where class.relnamespace = %s::regnamespace and class.relkind in ('r', 'p')
order by 1
"""


# Relations dbt leaves behind when it is killed between creating and renaming them.
DBT_LEFTOVERS = r"""
select namespace.nspname, class.relname, class.relkind
from pg_catalog.pg_class as class
inner join pg_catalog.pg_namespace as namespace on namespace.oid = class.relnamespace
where class.relkind in ('r', 'v', 'm', 'p')
  and (class.relname like '%\_\_dbt\_backup' or class.relname like '%\_\_dbt\_tmp%')
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


def drop_next(settings: Settings) -> None:
    with db.connect(settings, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop schema if exists {} cascade").format(
                sql.Identifier(PUBLISHED_SCHEMA + NEXT)
            )
        )


def prepare_next(settings: Settings) -> None:
    """analytics_next starts as a copy of the live tables (indexes and constraints included):
    the incremental marts continue from the published state, the others are rebuilt."""
    drop_next(settings)
    with db.connect(settings) as conn, conn.transaction():
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(PUBLISHED_SCHEMA + NEXT)))
        if conn.execute(
            "select to_regnamespace(%s) is not null", (PUBLISHED_SCHEMA,)
        ).fetchone() != (True,):
            return
        for (table,) in conn.execute(LIVE_TABLES, (PUBLISHED_SCHEMA,)).fetchall():
            live, copy = (
                sql.Identifier(PUBLISHED_SCHEMA, table),
                sql.Identifier(PUBLISHED_SCHEMA + NEXT, table),
            )
            conn.execute(sql.SQL("create table {} (like {} including all)").format(copy, live))
            conn.execute(sql.SQL("insert into {} select * from {}").format(copy, live))


def swap_in_next(settings: Settings, judged_loads: list[int]) -> None:
    """Publish, waiting at most PUBLISH_LOCK_TIMEOUT per attempt for the live marts' locks:
    a renaming waits for every reader's transaction on them, and every dashboard query that
    arrives meanwhile queues behind it. A reader holding a transaction open must not stall
    the dashboards of every tenant, so the swap gives way and tries again; exit 75 when the
    lock never came (analytics_next is dropped, the live marts are unchanged)."""

    def attempt() -> None:
        try:
            _swap(settings, judged_loads)
        except TransientError as error:
            if not isinstance(error.__cause__, psycopg.errors.LockNotAvailable):
                raise
            raise TransientError(
                "publishing waited over"
                f" {PUBLISH_LOCK_TIMEOUT} for a lock on the live marts (a reader's open"
                " transaction)"
            ) from error

    try:
        db.with_retries(attempt, on_retry=_publish_retry, delays=PUBLISH_RETRY_DELAYS_S)
    except TransientError:
        drop_next(settings)
        raise


def _publish_retry(message: str) -> None:
    print(f"routing-analytics: warning: {message}", file=sys.stderr, flush=True)


def _swap(settings: Settings, judged_loads: list[int]) -> None:
    """One transaction: the checked schemas replace the live ones (dashboards that query by
    name see the old set or the new one, never a mix), and the loads the build's gates
    judged are recorded as published (the next run's gates judge only what it adds)."""
    with db.connect(settings) as conn, conn.transaction():
        conn.execute(f"set local lock_timeout = '{PUBLISH_LOCK_TIMEOUT}'")
        mark_published(conn, judged_loads, "run")
        live, old, new = (
            sql.Identifier(PUBLISHED_SCHEMA),
            sql.Identifier(PUBLISHED_SCHEMA + "_previous"),
            sql.Identifier(PUBLISHED_SCHEMA + NEXT),
        )
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(old))
        if conn.execute(
            "select to_regnamespace(%s) is not null", (PUBLISHED_SCHEMA,)
        ).fetchone() == (True,):
            conn.execute(sql.SQL("alter schema {} rename to {}").format(live, old))
        conn.execute(sql.SQL("alter schema {} rename to {}").format(new, live))
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(old))


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
