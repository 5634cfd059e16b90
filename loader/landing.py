"""Land one file: one transaction, COPY streaming, quarantine for lines that are not records.

Invariant, checked by a constraint on raw.loads: lines_read = rows_landed + rows_quarantined.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

import orjson
import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from loader.privacy import Pseudonymiser, RedactionCounts, redact_text
from loader.reader import HashingReader, iter_csv_records, iter_lines, open_decompressed, sha256_of
from loader.records import LineProcessor
from loader.streams import StreamSpec, file_format
from routing_analytics.platform.db import classify
from routing_analytics.platform.errors import LoaderError, TerminalError, UserError

FIELD_SEPARATOR = b"\x02"  # COPY csv with delimiter \x02 and quote \x01: neither can occur in
ROW_END = b"\n"  # valid JSON text, so every line is copied verbatim, without escaping.
BATCH_BYTES = 4 << 20

Progress = Callable[[int], None]


@dataclass
class LoadResult:
    stream: str
    source_file: str
    status: str
    load_id: int | None = None
    file_sha256: str | None = None
    lines_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    redactions: RedactionCounts = field(default_factory=RedactionCounts)
    seconds: float = 0.0
    message: str = ""
    warnings: list[str] = field(default_factory=list)

    def report(self) -> dict[str, object]:
        """The figures `load` prints and `/v1/ingest` answers, under the same names."""
        fields: dict[str, object] = {
            "stream": self.stream,
            "file": self.source_file,
            "status": self.status,
            "load_id": self.load_id,
            "lines": self.lines_read,
            "landed": self.rows_landed,
            "quarantined": self.rows_quarantined,
            "metadata_entries_removed": self.redactions.metadata_entries_removed,
            "error_message_redactions": self.redactions.error_message_redactions,
            "user_ids_pseudonymised": self.redactions.user_ids_pseudonymised,
            "seconds": round(self.seconds, 3),
        }
        if self.message:
            fields["message"] = self.message
        return fields


@dataclass(frozen=True)
class _Counts:
    lines_read: int
    rows_landed: int
    rows_quarantined: int


class _AlreadyLoaded(Exception):
    """Raised inside the load transaction to roll it back when another load won the race."""


def load_file(
    conn: psycopg.Connection,
    path: Path,
    spec: StreamSpec,
    pseudonymiser: Pseudonymiser,
    progress: Progress | None = None,
) -> LoadResult:
    """Land `path` into raw.<stream>. `conn` must be in autocommit mode."""
    started = time.monotonic()
    _check_readable(path)
    result = LoadResult(stream=spec.name, source_file=_safe_name(path.name), status="running")
    _mark_interrupted_loads(conn)
    size = path.stat().st_size
    if _same_size_loaded(conn, spec.name, size):
        sha = sha256_of(path)
        earlier = _already_loaded(conn, spec.name, sha)
        if earlier is not None:
            return _record_skip(conn, result, sha, size, started, earlier)
    result.load_id = _insert_running(conn, result, size, pseudonymiser.key_id)
    processor = LineProcessor(spec, pseudonymiser)
    try:
        # A month's partition is made ahead of it, or here when the month has none yet.
        conn.execute("select raw.ensure_monthly_partitions(%s)", (spec.name,))
        with conn.transaction():
            counts, sha = _copy_file(conn, path, spec, processor, result, progress)
            _finish(conn, result, counts, sha, processor.counts)
    except _AlreadyLoaded as already:
        earlier = already.args[0]
        return _record_skip(conn, result, sha, size, started, earlier, load_id=result.load_id)
    except (LoaderError, psycopg.Error, OSError, EOFError, zlib.error) as error:
        failure = _as_loader_error(error, result.lines_read)
        _record_failure(conn, result, str(failure))
        raise failure from error
    result.seconds = time.monotonic() - started
    result.warnings = list(processor.warnings)
    result.warnings += _summarize_landings(conn, spec.name)
    if processor.unlisted_warnings:
        result.warnings.append(f"and {processor.unlisted_warnings} more such values")
    return result


def _summarize_landings(conn: psycopg.Connection, stream: str) -> list[str]:
    """Summarizes the BRIN ranges the landing filled (raw.summarize_landings); the load has
    committed, so a failure here is a warning: readers of raw then read more rows until
    autovacuum summarizes them."""
    try:
        conn.execute("select raw.summarize_landings(%s)", (stream,))
    except psycopg.Error as error:
        return [f"the new rows' BRIN ranges were not summarized ({classify(error)})"]
    return []


def _as_loader_error(error: Exception, last_line: int) -> LoaderError:
    where = f"after line {last_line}" if last_line else "before its first line"
    if isinstance(error, LoaderError):
        return error
    if isinstance(error, psycopg.Error):
        failure = classify(error)
        return type(failure)(f"{failure} ({where} of the file; nothing of it was landed)")
    # OSError (incl. gzip.BadGzipFile), EOFError (truncated .gz), zlib.error (corrupt .gz)
    return UserError(f"cannot read the file {where} ({error}); nothing of it was landed")


def _copy_file(
    conn: psycopg.Connection,
    path: Path,
    spec: StreamSpec,
    processor: LineProcessor,
    result: LoadResult,
    progress: Progress | None,
) -> tuple[_Counts, str]:
    copy_rows = sql.SQL(
        "copy raw.{} (_load_id, _source_file, _line_number, record) from stdin "
        "with (format csv, delimiter e'\\x02', quote e'\\x01')"
    ).format(sql.Identifier(spec.table))
    if result.load_id is None:
        raise TerminalError("a file is copied only once its load is recorded")
    prefix = b"%d%b%b%b" % (
        result.load_id,
        FIELD_SEPARATOR,
        result.source_file.encode(),
        FIELD_SEPARATOR,
    )
    landed = 0
    with path.open("rb") as raw, tempfile.TemporaryFile() as quarantine:
        hashing = HashingReader(raw)
        stream = open_decompressed(hashing, path)
        cursor = conn.cursor()
        # The queued writer sends from a worker thread, so parsing the next lines overlaps
        # with waiting for the server to take the previous ones.
        with cursor.copy(copy_rows, writer=QueuedLibpqWriter(cursor)) as copy:
            batch: list[bytes] = []
            batch_bytes = 0
            reported = 0
            for number, outcome in _outcomes(stream, path, spec, processor):
                result.lines_read = number  # where a whole-file error happened
                if isinstance(outcome, bytes):
                    batch += (prefix, b"%d" % number, FIELD_SEPARATOR, outcome, ROW_END)
                    batch_bytes += len(outcome)
                    landed += 1
                    if batch_bytes >= BATCH_BYTES:
                        copy.write(b"".join(batch))
                        batch, batch_bytes = [], 0
                        if progress is not None:
                            progress(hashing.bytes_read - reported)
                            reported = hashing.bytes_read
                else:
                    quarantine.write(orjson.dumps(outcome) + b"\n")
            copy.write(b"".join(batch))
        if progress is not None:
            progress(hashing.bytes_read - reported)
        quarantined = _copy_quarantine(conn, quarantine, spec.name, result)
    lines_read = landed + quarantined
    return _Counts(lines_read, landed, quarantined), hashing.sha256.hexdigest()


def _outcomes(
    stream: BinaryIO, path: Path, spec: StreamSpec, processor: LineProcessor
) -> Iterator[tuple[int, bytes | list[object]]]:
    """(line number, JSON to land) or (line number, [line number, original, reason])."""
    if file_format(path) == "csv":
        header, records = iter_csv_records(stream)
        missing = [column for column in spec.csv_required_columns if column not in header]
        if missing:
            raise UserError(f"{path.name}: CSV header lacks {', '.join(missing)}")
        for record in records:
            if record.values is None:
                outcome: bytes | str = record.error or "unreadable"
            else:
                outcome = processor.prepare_csv(header, record.values, record.number)
            yield record.number, _quarantine_entry(record.number, record.original, outcome)
        return
    for line in iter_lines(stream):
        if line.truncated:
            reason = f"line longer than {len(line.content)} bytes (kept its start only)"
            yield line.number, [line.number, _original(line.content), reason]
            continue
        outcome = processor.prepare_json(line.content)
        yield line.number, _quarantine_entry(line.number, line.content, outcome)


def _quarantine_entry(number: int, original: bytes, outcome: bytes | str) -> bytes | list[object]:
    if isinstance(outcome, bytes):
        return outcome
    return [number, _original(original), outcome]


def _original(content: bytes) -> list[object]:
    """[text, None] when the line is clean UTF-8, else [None, hex of the bytes]."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return [None, content.hex()]
    if "\x00" in text:
        return [None, content.hex()]
    return [text, None]


def _copy_quarantine(
    conn: psycopg.Connection, spool: IO[bytes], stream: str, result: LoadResult
) -> int:
    spool.seek(0)
    count = 0
    with conn.cursor().copy(
        "copy raw.quarantined_lines (_load_id, stream, _source_file, _line_number, raw_text,"
        " raw_bytes, reason) from stdin"
    ) as copy:
        for entry in spool:
            number, (text, hex_bytes), reason = orjson.loads(entry)
            original_bytes = bytes.fromhex(hex_bytes) if hex_bytes is not None else None
            copy.write_row(
                (result.load_id, stream, result.source_file, number, text, original_bytes, reason)
            )
            count += 1
    return count


def _finish(
    conn: psycopg.Connection,
    result: LoadResult,
    counts: _Counts,
    sha: str,
    redactions: RedactionCounts,
) -> None:
    # Serialise loads of the same content, then look again: the loser rolls back to a skip.
    conn.execute(
        "select pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{result.stream}:{sha}",)
    )
    earlier = _already_loaded(conn, result.stream, sha)
    if earlier is not None:
        raise _AlreadyLoaded(earlier)
    conn.execute(
        """
        update raw.loads set
            status = 'succeeded', file_sha256 = %s, lines_read = %s, rows_landed = %s,
            rows_quarantined = %s, metadata_entries_removed = %s,
            error_message_redactions = %s, user_ids_pseudonymised = %s,
            finished_at = clock_timestamp()
        where load_id = %s
        """,
        (
            sha,
            counts.lines_read,
            counts.rows_landed,
            counts.rows_quarantined,
            redactions.metadata_entries_removed,
            redactions.error_message_redactions,
            redactions.user_ids_pseudonymised,
            result.load_id,
        ),
    )
    result.status = "succeeded"
    result.file_sha256 = sha
    result.lines_read = counts.lines_read
    result.rows_landed = counts.rows_landed
    result.rows_quarantined = counts.rows_quarantined
    result.redactions = redactions


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if not path.is_file():
        raise UserError(f"{path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise UserError(f"{path}: not readable")


def _safe_name(name: str) -> str:
    """The file's base name (no directories: they can carry personal data), printable only,
    with the privacy placeholders for what a name can carry too (an e-mail, a secret)."""
    printable = "".join(char if char.isprintable() else "?" for char in name)
    return redact_text(printable)[0]


def _mark_interrupted_loads(conn: psycopg.Connection) -> None:
    conn.execute(
        """
        update raw.loads set status = 'interrupted', finished_at = clock_timestamp(),
            message = 'the loading process ended before the load finished; nothing of it landed'
        where status = 'running'
          and backend_pid not in (select pid from pg_stat_activity where pid is not null)
        """
    )


def _same_size_loaded(conn: psycopg.Connection, stream: str, size: int) -> bool:
    found = conn.execute(
        "select 1 from raw.loads where stream = %s and file_bytes = %s and status = 'succeeded'"
        " limit 1",
        (stream, size),
    ).fetchone()
    return found is not None


def _already_loaded(conn: psycopg.Connection, stream: str, sha: str) -> int | None:
    """The id of the successful load that holds this content, if any."""
    found = conn.execute(
        "select load_id from raw.loads"
        " where stream = %s and file_sha256 = %s and status = 'succeeded'",
        (stream, sha),
    ).fetchone()
    return int(found[0]) if found else None


def _insert_running(conn: psycopg.Connection, result: LoadResult, size: int, key_id: str) -> int:
    row = conn.execute(
        "insert into raw.loads (stream, source_file, file_bytes, status, pseudonym_key_id)"
        " values (%s, %s, %s, 'running', %s) returning load_id",
        (result.stream, result.source_file, size, key_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _record_skip(
    conn: psycopg.Connection,
    result: LoadResult,
    sha: str,
    size: int,
    started: float,
    earlier_load_id: int,
    load_id: int | None = None,
) -> LoadResult:
    message = f"skipped: this content was already loaded successfully (load {earlier_load_id})"
    if load_id is None:
        row = conn.execute(
            "insert into raw.loads (stream, source_file, file_sha256, file_bytes, status, message,"
            " finished_at) values (%s, %s, %s, %s, 'skipped', %s, clock_timestamp())"
            " returning load_id",
            (result.stream, result.source_file, sha, size, message),
        ).fetchone()
        assert row is not None
        load_id = int(row[0])
    else:
        conn.execute(
            "update raw.loads set status = 'skipped', file_sha256 = %s, message = %s,"
            " finished_at = clock_timestamp() where load_id = %s",
            (sha, message, load_id),
        )
    result.load_id = load_id
    result.status = "skipped"
    result.file_sha256 = sha
    result.message = message
    result.seconds = time.monotonic() - started
    return result


def _record_failure(conn: psycopg.Connection, result: LoadResult, message: str) -> None:
    result.status = "failed"
    result.message = message
    # If the connection is gone this fails too; the next load marks the row 'interrupted'.
    with contextlib.suppress(psycopg.Error):
        conn.execute(
            "update raw.loads set status = 'failed', message = %s,"
            " finished_at = clock_timestamp() where load_id = %s",
            (message[:2000], result.load_id),
        )
