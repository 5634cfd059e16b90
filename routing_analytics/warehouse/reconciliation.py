"""Keeps the accounting of every raw row in step when maintenance deletes rows outside a build.

A build keeps how each load's rows were judged in int_load_rows_judged, recounting only the
loads it touched, and refreshes the materialized view int_stream_reconciliation once; the
tests and gates of the build read those instead of recomputing every load's versions.
Retention and forget-tenant delete raw and staged rows between builds: in their own
transaction they recount every load from all history and refresh the view, so that a `check`
before the next build reconciles what is left.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from routing_analytics.platform import db
from routing_analytics.warehouse.relations import (
    LOAD_ROWS_JUDGED,
    LOAD_ROWS_JUDGED_IN_FULL,
    RECONCILIATION_VIEWS,
)


def refresh_reconciliation(conn: psycopg.Connection) -> None:
    """Recount every load, then refresh each reconciliation view that exists as a
    materialized one (in dependency order)."""
    _recount_loads(conn)
    for relation in RECONCILIATION_VIEWS:
        is_materialized = conn.execute(
            "select exists (select from pg_catalog.pg_class"
            " where oid = to_regclass(%s) and relkind = 'm')",
            (relation,),
        ).fetchone()
        if is_materialized == (True,):
            conn.execute(sql.SQL("refresh materialized view {}").format(_identifier(relation)))


def _recount_loads(conn: psycopg.Connection) -> None:
    """Replace the kept counts with a count of all history (a loads' rows deleted, and the
    versions of their keys in other loads renumbered, are then counted as they are now).
    Nothing to do in a database built before the counts were kept per load."""
    if not (
        db.relation_exists(conn, LOAD_ROWS_JUDGED)
        and db.relation_exists(conn, LOAD_ROWS_JUDGED_IN_FULL)
    ):
        return
    columns = sql.SQL(", ").join(
        sql.Identifier(name)
        for (name,) in conn.execute(
            "select attname from pg_catalog.pg_attribute"
            " where attrelid = to_regclass(%s) and attnum > 0 and not attisdropped"
            " order by attnum",
            (LOAD_ROWS_JUDGED,),
        ).fetchall()
    )
    kept, in_full = _identifier(LOAD_ROWS_JUDGED), _identifier(LOAD_ROWS_JUDGED_IN_FULL)
    conn.execute(sql.SQL("delete from {}").format(kept))
    conn.execute(
        sql.SQL("insert into {} ({}) select {} from {}").format(kept, columns, columns, in_full)
    )


def _identifier(relation: str) -> sql.Identifier:
    return sql.Identifier(*relation.split(".", 1))
