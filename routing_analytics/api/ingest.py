"""`POST /v1/ingest/{stream}`: records over HTTP, landed by the loader's own code.

The body (NDJSON, optionally gzip) is spooled to a temporary file and landed by
`loader.landing.load_file` exactly as `routing-analytics load` lands a file: the same
validation, privacy at the edge, quarantine and lineage, one load per request, and a body
whose sha256 was landed before is skipped, so a retried request lands nothing twice. The
scheduled `run` stages it with everything else. Callers authenticate with an ingest key
(api/ingest_keys.py), never a tenant's token: the router posts the records of every tenant.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParameter
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from loader.landing import LoadResult, load_file
from loader.privacy import Pseudonymiser, load_or_create_key
from loader.raw_schema import apply_raw_ddl
from loader.streams import STREAMS
from routing_analytics.api import models
from routing_analytics.api.access import ApiError
from routing_analytics.api.ingest_keys import IngestKeys, keys_file
from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import LoaderError, TransientError, UserError

MAX_BYTES_VAR = "ANALYTICS_INGEST_MAX_BYTES"
DEFAULT_MAX_BYTES = 64 << 20
# Loads at once; more requests wait their turn rather than open more writer connections.
CONCURRENT_LOADS = 4
INFLATE_STEP_BYTES = 1 << 20
NDJSON_MEDIA_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/json",
        "text/plain",
    }
)
STREAM_PATTERN = "^(" + "|".join(STREAMS) + ")$"
BODY_DOCUMENTATION: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One JSON record per line (NDJSON); `Content-Encoding: gzip` allowed",
        "content": {"application/x-ndjson": {"schema": {"type": "string", "minLength": 1}}},
    }
}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": models.Error, "description": description}
    for status, description in (
        (400, "The body cannot be read as records (empty, or a broken gzip): nothing landed"),
        (401, "No valid ingest key"),
        (413, "The body, or what it inflates to, is over the limit: nothing landed"),
        (415, "Not NDJSON, or an encoding other than gzip"),
        (503, "The database is unavailable: send the same body again later"),
    )
}


@dataclass
class Ingestion:
    settings: Settings
    keys: IngestKeys
    max_bytes: int
    pseudonymiser: Pseudonymiser
    slots: asyncio.Semaphore
    raw_schema_applied: bool = False


def ingestion_from_environment(settings: Settings) -> Ingestion:
    """The keys, the limit and the pseudonym key of the loads (the one `load` uses)."""
    return Ingestion(
        settings=settings,
        keys=IngestKeys(keys_file(settings.state_dir)),
        max_bytes=max_body_bytes(),
        pseudonymiser=load_or_create_key(settings.state_dir),
        slots=asyncio.Semaphore(CONCURRENT_LOADS),
    )


def max_body_bytes() -> int:
    raw = os.environ.get(MAX_BYTES_VAR, str(DEFAULT_MAX_BYTES)).strip()
    if not raw.isdigit() or int(raw) < 1:
        raise UserError(f"{MAX_BYTES_VAR}={raw!r} is not a number of bytes")
    return int(raw)


ingest_key_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="IngestKey",
    description="An ingest key (`routing-analytics ingest-key --name N`), not a tenant JWT",
)


def ingest_source(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(ingest_key_scheme)],
) -> str:
    """The name of the caller's ingest key; 401 without a valid one."""
    if credentials is None:
        raise ApiError(401, "an ingest key is required (Authorization: Bearer <ingest key>)")
    ingestion: Ingestion = request.app.state.ingestion
    try:
        name = ingestion.keys.name_of(credentials.credentials)
    except UserError as error:
        print(f"routing-analytics: error: {error}", file=sys.stderr, flush=True)
        raise ApiError(503, "the ingest keys cannot be read; the operator is told") from None
    if name is None:
        raise ApiError(401, "not a valid ingest key")
    return name


router = APIRouter(tags=["ingestion"])


@router.post(
    "/v1/ingest/{stream}",
    response_model=models.Ingested,
    responses=ERRORS,
    openapi_extra=BODY_DOCUMENTATION,
)
async def ingest(
    request: Request,
    stream: Annotated[str, PathParameter(pattern=STREAM_PATTERN, description="The raw stream")],
    source: Annotated[str, Depends(ingest_source)],
) -> models.Ingested:
    """Land an NDJSON body in raw.<stream> as one load, as `routing-analytics load` would."""
    ingestion: Ingestion = request.app.state.ingestion
    gzipped = _is_gzip(request)
    _check_media_type(request)
    _check_declared_length(request, ingestion.max_bytes)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    with tempfile.TemporaryDirectory(prefix="routing-analytics-ingest-") as folder:
        body = Path(folder) / f"http-{source}-{stamp}.ndjson{'.gz' if gzipped else ''}"
        await _spool(request, body, ingestion.max_bytes, gzipped=gzipped)
        async with ingestion.slots:
            result = await run_in_threadpool(_land, ingestion, body, stream)
    return models.Ingested.model_validate(
        {**result.report(), "body_sha256": result.file_sha256, "warnings": result.warnings}
    )


def _is_gzip(request: Request) -> bool:
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in {"identity", "gzip"}:
        raise ApiError(415, f"Content-Encoding {encoding[:40]!r}: only gzip is accepted")
    return encoding == "gzip"


def _check_media_type(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type and media_type not in NDJSON_MEDIA_TYPES:
        raise ApiError(415, f"Content-Type {media_type[:60]!r}: send application/x-ndjson")


def _check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the body is over the limit of {limit} bytes; send it in parts")


async def _spool(request: Request, path: Path, limit: int, *, gzipped: bool) -> None:
    """The body into `path`, refused (413) as soon as it, or what it inflates to, is over
    `limit`: a small gzip body must not become an unbounded load."""
    inflated = _InflatedSize(limit) if gzipped else None
    received = 0
    with path.open("wb") as handle:
        async for chunk in request.stream():
            received += len(chunk)
            if inflated is not None:
                inflated.feed(chunk)
            if received > limit or (inflated is not None and inflated.total > limit):
                raise ApiError(
                    413, f"the body is over the limit of {limit} bytes; send it in parts"
                )
            handle.write(chunk)
    if received == 0:
        raise ApiError(400, "the body is empty: nothing to land")


class _InflatedSize:
    """Counts what a gzip stream (of one or more members) inflates to, holding at most one
    step of it, and stops counting past `limit`. A broken stream is left for the loader,
    which records the failed load with its reason."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._inflater = zlib.decompressobj(wbits=31)
        self._broken = False
        self.total = 0

    def feed(self, data: bytes) -> None:
        while not self._broken and self.total <= self._limit:
            try:
                step = self._inflater.decompress(data, INFLATE_STEP_BYTES)
            except zlib.error:
                self._broken = True
                return
            self.total += len(step)
            if self._inflater.eof:
                data = self._inflater.unused_data
                self._inflater = zlib.decompressobj(wbits=31)
            else:
                data = self._inflater.unconsumed_tail
            if not data and len(step) < INFLATE_STEP_BYTES:
                return


def _land(ingestion: Ingestion, body: Path, stream: str) -> LoadResult:
    """One load on its own writer connection, retried like `load` when the database blinks."""

    def attempt() -> LoadResult:
        with db.connect(ingestion.settings, autocommit=True) as conn:
            if not ingestion.raw_schema_applied:
                apply_raw_ddl(conn)
                ingestion.raw_schema_applied = True
            return load_file(conn, body, STREAMS[stream], ingestion.pseudonymiser)

    try:
        return db.with_retries(attempt, on_retry=_warn, delays=(0.5, 2.0))
    except UserError as error:
        raise ApiError(400, str(error)) from None
    except TransientError as error:
        raise ApiError(503, f"{error}; send the same body again later") from None
    except LoaderError as error:
        _warn(str(error))
        raise ApiError(500, "the load failed; the operator is told (raw.loads)") from None


def _warn(message: str) -> None:
    print(f"routing-analytics: warning: ingest: {message}", file=sys.stderr, flush=True)
