"""Connections, the mapping of database errors to exit codes, retries and catalog lookups."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import psycopg

from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import LoaderError, TerminalError, TransientError, UserError

T = TypeVar("T")

RETRY_DELAYS_S = (0.5, 2.0, 5.0)

_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57P")
DATABASE_URL_HINT = "ANALYTICS_DATABASE_URL, or ANALYTICS_DB_PORT for the embedded server"


@contextmanager
def connect(settings: Settings, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A connection with libpq errors turned into our error types."""
    try:
        conn = psycopg.connect(
            settings.database_url,
            autocommit=autocommit,
            connect_timeout=10,
            application_name="routing-analytics",
        )
    except psycopg.OperationalError as error:
        raise _connect_error(settings, error) from None
    except psycopg.ProgrammingError as error:
        raise UserError(f"bad database URL {settings.display_url}: {_first_line(error)}") from None
    try:
        with conn:
            yield conn
    except psycopg.Error as error:
        raise classify(error) from error


# A connection that fails for these reasons fails the same way next time: the setting is
# wrong (exit 2), unlike a refused or dropped connection (exit 75, try again later).
_CONFIGURATION_SQLSTATES = ("3D000", "28000", "28P01")
_CONFIGURATION_MESSAGES = (
    "could not translate host name",
    "failed to resolve host",
    "does not exist",
    "password authentication failed",
    "no password supplied",
)


def _connect_error(settings: Settings, error: psycopg.OperationalError) -> LoaderError:
    message = f"cannot connect to {settings.display_url}: {_first_line(error)}"
    if error.sqlstate in _CONFIGURATION_SQLSTATES or any(
        text in message for text in _CONFIGURATION_MESSAGES
    ):
        return UserError(f"{message}; check the database URL ({DATABASE_URL_HINT})")
    return TransientError(
        message + ("; is it running? try `routing-analytics db start`" if settings.embedded else "")
    )


def classify(error: psycopg.Error) -> LoaderError:
    sqlstate = error.sqlstate or ""
    message = f"database error {sqlstate}: {_first_line(error)}".replace("error : ", "error: ")
    if isinstance(error, psycopg.OperationalError) or sqlstate.startswith(
        _TRANSIENT_SQLSTATE_CLASSES
    ):
        return TransientError(message)
    return TerminalError(message)


def with_retries(
    action: Callable[[], T],
    *,
    on_retry: Callable[[str], None],
    delays: Sequence[float] = RETRY_DELAYS_S,
) -> T:
    """Run `action`, retrying transient failures with backoff; terminal ones propagate."""
    for delay in delays:
        try:
            return action()
        except TransientError as error:
            on_retry(f"{error}; retrying in {delay:g} s")
            time.sleep(delay)
    return action()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def tables_with_column(conn: psycopg.Connection, column: str) -> list[tuple[str, str]]:
    """(schema, table) of every table that has the column, in every schema but the system
    ones; a partitioned table counts once (its partitions not apart)."""
    return conn.execute(
        """
        select namespace.nspname, class.relname
        from pg_catalog.pg_class as class
        inner join pg_catalog.pg_namespace as namespace on namespace.oid = class.relnamespace
        inner join pg_catalog.pg_attribute as attribute
            on attribute.attrelid = class.oid and attribute.attname = %s
            and not attribute.attisdropped
        where class.relkind in ('r', 'p') and not class.relispartition
          and namespace.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
        order by 1, 2
        """,
        (column,),
    ).fetchall()


def relation_exists(conn: psycopg.Connection, relation: str) -> bool:
    """Whether a table, view or materialized view of this (schema-qualified) name exists."""
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone() == (True,)
