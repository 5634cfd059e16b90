"""`routing-analytics create-login`: a database login for a person or a service.

An analyst login is a member of analytics_analyst: it reads every tenant's rows of the
published schema and nothing else (no raw, no quarantine). A reader login is a member of
analytics_reader: row-level security shows it the tenant named by `app.tenant_id`, and
nothing without it. Any reader session can set any tenant, so a reader login belongs to a
service that sets the tenant per transaction for its caller (set_config(..., true)), never
to a tenant's own people with direct SQL.
"""

from __future__ import annotations

import re
import secrets
import sys

from psycopg import sql

from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import UserError
from routing_analytics.warehouse.relations import ANALYST_ROLE, READER_ROLE

ROLES = {"analyst": ANALYST_ROLE, "reader": READER_ROLE}
LOGIN_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
RESERVED_PREFIXES = ("pg_", "analytics_")
SESSION_LIMITS = {"idle_in_transaction_session_timeout": "60s", "statement_timeout": "60s"}
# A reader's plans reach rows through an index, every one of which leads with tenant_id
# (apply_tenant_isolation): a sequential scan would read every tenant's rows and EXPLAIN
# ANALYZE would count the ones the policy removed. A session that turns it back on learns
# only a relation's total row count, which pg_class.reltuples shows anyway.
READER_PLANNER = {"enable_seqscan": "off"}
READER_WARNING = (
    "a reader login can set any tenant (app.tenant_id): give it to a service that sets the"
    " tenant per transaction for its caller, never to a tenant's people for direct SQL"
)


def create_login(settings: Settings, name: str, kind: str) -> str:
    """Create the login, or give an existing one of this kind a new password; returns it."""
    if not LOGIN_NAME.fullmatch(name) or name.startswith(RESERVED_PREFIXES):
        raise UserError(
            f"login name {name!r}: lowercase letters, digits and _, at most 63, not starting"
            f" with {' or '.join(RESERVED_PREFIXES)}"
        )
    group = ROLES[kind]
    password = secrets.token_urlsafe(24)
    with db.connect(settings) as conn, conn.transaction():
        if (
            conn.execute(
                "select 1 from pg_catalog.pg_roles where rolname = %s", (group,)
            ).fetchone()
            is None
        ):
            raise UserError(f"role {group} does not exist yet: run `routing-analytics build` first")
        exists = conn.execute(
            "select rolsuper, pg_catalog.pg_has_role(rolname, %s, 'member')"
            " from pg_catalog.pg_roles where rolname = %s",
            (group, name),
        ).fetchone()
        if exists is not None and (exists[0] or not exists[1]):
            raise UserError(f"role {name} exists and is not a {kind} login; choose another name")
        verb = "alter" if exists is not None else "create"
        conn.execute(
            sql.SQL("{} role {} login nosuperuser nocreatedb nocreaterole password {}").format(
                sql.SQL(verb), sql.Identifier(name), sql.Literal(password)
            )
        )
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), sql.Identifier(name)))
        # A forgotten open transaction or a runaway query must not hold the marts' locks
        # (the publish waits for them); settings of a group role do not reach its members.
        settings_of_login = SESSION_LIMITS | (READER_PLANNER if kind == "reader" else {})
        for setting, value in settings_of_login.items():
            conn.execute(
                sql.SQL("alter role {} set {} = {}").format(
                    sql.Identifier(name), sql.Identifier(setting), sql.Literal(value)
                )
            )
    if kind == "reader":
        print(f"routing-analytics: warning: {READER_WARNING}", file=sys.stderr)
    return password
