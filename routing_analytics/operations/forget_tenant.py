"""`routing-analytics forget-tenant T`: erase every row of one tenant, everywhere (GDPR).

One transaction: every table of every schema with a tenant_id column, the raw records whose
JSON names the tenant and the quarantined lines that mention it. The deletion is recorded in
audit.tenant_deletions with a keyed hash of the tenant id (the installation's
pseudonymisation key), never the id itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

from loader.privacy import load_or_create_key
from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.ddl import apply_ddl
from routing_analytics.platform.errors import UserError
from routing_analytics.platform.locks import run_lock
from routing_analytics.warehouse.reconciliation import refresh_reconciliation

# The audit trail of deletions is kept (it names no tenant).
KEPT_SCHEMAS = ("audit",)
RAW_STREAMS = ("task_executions", "routing_decisions", "usage_events", "tenants")


@dataclass(frozen=True)
class Deletion:
    tenant_key_hash: str
    rows_removed: dict[str, int]
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.rows_removed.values())


def tenant_key_hash(settings: Settings, tenant: str) -> str:
    """HMAC-SHA256 of the tenant id: the audit can prove a deletion without naming the tenant."""
    key = load_or_create_key(settings.state_dir).key
    return hmac.new(key, b"tenant:" + tenant.encode(), hashlib.sha256).hexdigest()


def mention_pattern(tenant: str) -> str:
    """The tenant id as a whole token in free text (tenant_1 does not match tenant_10)."""
    return rf"(^|[^A-Za-z0-9_.-]){re.escape(tenant)}($|[^A-Za-z0-9_.-])"


class _RolledBack(Exception):
    """Ends a dry run's transaction: everything it deleted is rolled back."""


def forget_tenant(
    settings: Settings, tenant: str, *, dry_run: bool = False, wait: bool = False
) -> Deletion:
    """Under the scheduled run's lock (a run rebuilding meanwhile would fail its
    reconciliation). A tenant with no row anywhere is refused (a typo must not write an
    audit row); a dry run deletes in a transaction that it rolls back, to count exactly."""
    if not tenant.strip():
        raise UserError("give the tenant id to forget")
    removed: dict[str, int] = {}
    with run_lock(settings, wait=wait), db.connect(settings) as conn:
        with conn.transaction():
            apply_ddl(conn, "routing_analytics.operations", "ddl/audit.sql")
        try:
            deletion = _forget_in_transaction(settings, conn, tenant, removed, dry_run=dry_run)
        except _RolledBack:
            return Deletion(tenant_key_hash(settings, tenant), removed, dry_run=True)
    return deletion


def _forget_in_transaction(
    settings: Settings,
    conn: psycopg.Connection,
    tenant: str,
    removed: dict[str, int],
    *,
    dry_run: bool,
) -> Deletion:
    with conn.transaction():
        conn.execute("set local routing_analytics.maintenance = 'on'")
        for schema, table in db.tables_with_column(conn, "tenant_id"):
            if schema in KEPT_SCHEMAS:
                continue
            removed[f"{schema}.{table}"] = _delete(
                conn,
                sql.SQL("delete from {} where tenant_id = %s").format(
                    sql.Identifier(schema, table)
                ),
                tenant,
            )
        if db.relation_exists(conn, "raw.loads"):
            removed.update(_forget_raw(conn, tenant))
        if not any(removed.values()):
            raise UserError(
                f"no row of tenant {tenant!r} anywhere: nothing forgotten, nothing recorded"
                " (is the id right? ids are compared exactly)"
            )
        if dry_run:
            raise _RolledBack
        refresh_reconciliation(conn)
        deletion = Deletion(tenant_key_hash(settings, tenant), removed)
        conn.execute(
            "insert into audit.tenant_deletions (tenant_key_hash, rows_removed) values (%s, %s)",
            (deletion.tenant_key_hash, json.dumps(removed, sort_keys=True)),
        )
    return deletion


def _forget_raw(conn: psycopg.Connection, tenant: str) -> dict[str, int]:
    removed = {}
    for stream in RAW_STREAMS:
        removed[f"raw.{stream}"] = _delete(
            conn,
            sql.SQL("delete from {} where record ->> 'tenant_id' = %s").format(
                sql.Identifier("raw", stream)
            ),
            tenant,
        )
    # A quarantined line did not parse: any line that mentions the tenant goes.
    removed["raw.quarantined_lines"] = _delete(
        conn,
        sql.SQL(
            "delete from raw.quarantined_lines where raw_text ~ %(pattern)s"
            " or position(convert_to(%(tenant)s, 'UTF8') in raw_bytes) > 0"
        ),
        {"pattern": mention_pattern(tenant), "tenant": tenant},
    )
    return removed


def _delete(conn: psycopg.Connection, statement: sql.SQL | sql.Composed, params: object) -> int:
    args: dict[str, object] | tuple[object, ...] = params if isinstance(params, dict) else (params,)
    return conn.execute(statement, args).rowcount


def print_forget_tenant(
    settings: Settings, tenant: str, *, dry_run: bool = False, wait: bool = False
) -> int:
    deletion = forget_tenant(settings, tenant, dry_run=dry_run, wait=wait)
    verb = "would be removed" if deletion.dry_run else "removed"
    for relation, rows in sorted(deletion.rows_removed.items()):
        if rows:
            print(f"  {relation}: {rows:,} rows {verb}")
    if deletion.dry_run:
        print(f"dry run: {deletion.total:,} rows would be removed; nothing was changed")
        return 0
    print(
        f"forgot the tenant: {deletion.total:,} rows removed in one transaction; recorded in"
        f" audit.tenant_deletions as {deletion.tenant_key_hash[:16]}..."
    )
    return 0
