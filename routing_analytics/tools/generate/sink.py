"""Buffered NDJSON file writer that counts lines and can gzip deterministically."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import BinaryIO

_FLUSH_LINES = 2_000


class LineSink:
    """Appends byte lines (without newline) to one file.

    Lines are joined in batches: GzipFile in Python 3.11 compresses on every write call, and
    even plain files are faster with fewer, larger writes.
    """

    def __init__(self, path: Path, compress: bool) -> None:
        self.path = path
        self.lines = 0
        self._raw: BinaryIO = path.open("wb")
        self._out: BinaryIO | gzip.GzipFile = self._raw
        if compress:
            # Fixed mtime and empty name so the bytes depend only on the content.
            self._out = gzip.GzipFile(
                filename="", mode="wb", compresslevel=6, fileobj=self._raw, mtime=0
            )
        self._pending: list[bytes] = []

    def write(self, line: bytes) -> None:
        self._pending.append(line)
        if len(self._pending) >= _FLUSH_LINES:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self.lines += len(self._pending)
            self._pending.append(b"")
            self._out.write(b"\n".join(self._pending))
            self._pending = []

    def close(self) -> None:
        self._flush()
        if self._out is not self._raw:
            self._out.close()
        self._raw.close()


def ndjson_path(out_dir: Path, stem: str, compress: bool) -> Path:
    """File name for an NDJSON stream, with .gz when compressing."""
    return out_dir / (f"{stem}.jsonl.gz" if compress else f"{stem}.jsonl")
