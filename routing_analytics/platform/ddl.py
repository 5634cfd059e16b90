"""Applies the DDL that Python owns (.sql files of a package), once per version of its text."""

from __future__ import annotations

import hashlib
from importlib import resources

import psycopg

# An advisory lock key (any constant bigint works; this one spells "ra-ddl").
DDL_LOCK_KEY = 0x72612D64646C

VERSIONS_TABLE_DDL = """
create schema if not exists raw;
create table if not exists raw.ddl_versions (
    ddl_sha256 text primary key,
    applied_at timestamptz not null default now()
);
lock table raw.ddl_versions in share row exclusive mode;
"""


def apply_ddl(conn: psycopg.Connection, package: str, resource: str) -> None:
    """Apply a .sql file of a package once per version of its text (every version of every
    file is recorded in raw.ddl_versions, the one book of the DDL that Python owns).

    Even `create index if not exists` locks tables, which would deadlock with a load running
    in another process, so a version that is already applied is not run again.
    """
    ddl = resources.files(package).joinpath(resource).read_text()
    version = hashlib.sha256(ddl.encode()).hexdigest()
    if _ddl_version_applied(conn, version):
        return
    with conn.transaction():
        # Two loaders starting together must not race on `create ... if not exists`.
        conn.execute("select pg_advisory_xact_lock(%s)", (DDL_LOCK_KEY,))
        # Touching the table takes a relation lock, which also refreshes our view of the
        # catalog after another loader's DDL (an advisory lock alone does not).
        conn.execute(VERSIONS_TABLE_DDL)
        if _ddl_version_applied(conn, version):
            return
        conn.execute(ddl)
        conn.execute("insert into raw.ddl_versions (ddl_sha256) values (%s)", (version,))


def _ddl_version_applied(conn: psycopg.Connection, version: str) -> bool:
    table = conn.execute("select to_regclass('raw.ddl_versions')").fetchone()
    if table is None or table[0] is None:
        return False
    row = conn.execute("select 1 from raw.ddl_versions where ddl_sha256 = %s", (version,))
    return row.fetchone() is not None
