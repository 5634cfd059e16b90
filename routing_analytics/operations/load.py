"""`routing-analytics load PATH...`: land files in schema raw, one load per file, reported."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import orjson
from tqdm import tqdm

from loader.landing import LoadResult, Progress, load_file
from loader.privacy import Pseudonymiser, load_or_create_key
from loader.raw_schema import apply_raw_ddl
from loader.streams import CSV_SUFFIXES, JSON_SUFFIXES, STREAMS, StreamSpec, stream_for
from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import LoaderError, UserError
from routing_analytics.warehouse.dbt import ensure_database

PROGRESS_MIN_BYTES = 8 << 20


def expand_paths(paths: list[Path], stream: str | None) -> list[tuple[Path, StreamSpec]]:
    """Every file to load with its stream, checked before anything is loaded."""
    planned: list[tuple[Path, StreamSpec]] = []
    for path in paths:
        if path.is_dir():
            files = sorted(
                child
                for child in path.iterdir()
                if child.is_file() and child.name.lower().endswith(JSON_SUFFIXES + CSV_SUFFIXES)
            )
            if not files:
                raise UserError(f"{path}: no .jsonl, .ndjson or .csv files in this folder")
            planned += [(child, stream_for(child, stream)) for child in files]
        elif path.exists():
            planned.append((path, stream_for(path, stream)))
        else:
            raise UserError(f"{path}: no such file or folder")
    stream_order = list(STREAMS)
    return sorted(planned, key=lambda item: (stream_order.index(item[1].name), item[0].name))


def load_paths(settings: Settings, paths: list[Path], stream: str | None, *, as_json: bool) -> int:
    planned = expand_paths(paths, stream)
    ensure_database(settings)
    pseudonymiser = load_or_create_key(settings.state_dir)
    failure_codes: list[int] = []
    with db.connect(settings, autocommit=True) as conn:  # fails fast on a wrong URL
        apply_raw_ddl(conn)
    for path, spec in planned:
        try:
            result = db.with_retries(
                partial(_load_one, settings, path, spec, pseudonymiser),
                on_retry=partial(_warn, path),
            )
        except LoaderError as error:
            failure_codes.append(error.exit_code)
            print(f"routing-analytics: error: {path.name}: {error}", file=sys.stderr)
            continue
        _report(result, as_json=as_json)
        for warning in result.warnings:
            _warn(path, warning)
        if result.status == "succeeded" and result.lines_read == 0:
            _warn(path, "the file holds no records (empty); it is recorded as loaded")
    if len(planned) > 1 and failure_codes:
        print(
            f"routing-analytics: error: {len(failure_codes)} of {len(planned)} files failed"
            " to load",
            file=sys.stderr,
        )
    return _combined_exit_code(failure_codes)


def _combined_exit_code(failure_codes: list[int]) -> int:
    """0 without failures; the failures' own code when they agree (2 bad input, 75 try
    again later), else 1: a scheduler must not retry a batch that holds a bad file."""
    if not failure_codes:
        return 0
    distinct = set(failure_codes)
    return distinct.pop() if len(distinct) == 1 else 1


def _logfmt(value: object) -> str:
    text = str(value)
    return orjson.dumps(text).decode() if " " in text or '"' in text else text


def _load_one(
    settings: Settings, path: Path, spec: StreamSpec, pseudonymiser: Pseudonymiser
) -> LoadResult:
    """One attempt at one file, on its own connection (a retry must not reuse a broken one)."""
    with db.connect(settings, autocommit=True) as conn, _progress_bar(path) as progress:
        return load_file(conn, path, spec, pseudonymiser, progress)


def _warn(path: Path, message: str) -> None:
    print(f"routing-analytics: warning: {path.name}: {message}", file=sys.stderr, flush=True)


def _report(result: LoadResult, *, as_json: bool) -> None:
    fields = result.report()
    if as_json:
        print(orjson.dumps(fields).decode(), flush=True)
    else:
        print(
            "load " + " ".join(f"{key}={_logfmt(value)}" for key, value in fields.items()),
            flush=True,
        )


@contextmanager
def _progress_bar(path: Path) -> Iterator[Progress | None]:
    """A progress bar on stderr for big files on a terminal; nothing for cron and pipes."""
    if not sys.stderr.isatty() or path.stat().st_size < PROGRESS_MIN_BYTES:
        yield None
        return
    with tqdm(
        total=path.stat().st_size,
        unit="B",
        unit_scale=True,
        desc=path.name,
        leave=False,
        file=sys.stderr,
    ) as bar:
        yield bar.update
