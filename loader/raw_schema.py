"""Creates and upgrades schema raw from ddl/raw.sql, once per version of its text."""

from __future__ import annotations

import psycopg

from routing_analytics.platform.ddl import apply_ddl


def apply_raw_ddl(conn: psycopg.Connection) -> None:
    apply_ddl(conn, "loader", "ddl/raw.sql")
