"""Keeps the accounting of every raw row in step when maintenance deletes rows outside a build.

dbt builds int_load_reconciliation and int_stream_reconciliation as materialized views: every
build refreshes them once, and the tests and gates of the build read the stored counts instead
of recomputing every load's versions per reader. Retention and forget-tenant delete raw and
staged rows between builds; they refresh the views in their own transaction, so that a `check`
before the next build reconciles what is left.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from routing_analytics.warehouse.relations import RECONCILIATION_VIEWS


def refresh_reconciliation(conn: psycopg.Connection) -> None:
    """Refresh each reconciliation view that exists as one (in dependency order)."""
    for relation in RECONCILIATION_VIEWS:
        is_materialized = conn.execute(
            "select exists (select from pg_catalog.pg_class"
            " where oid = to_regclass(%s) and relkind = 'm')",
            (relation,),
        ).fetchone()
        if is_materialized == (True,):
            schema, name = relation.split(".", 1)
            conn.execute(
                sql.SQL("refresh materialized view {}").format(sql.Identifier(schema, name))
            )
