"""Read input files as numbered lines without holding more than one chunk in memory.

The file is hashed while it is read, so the sha256 costs no second pass.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1 << 20
MAX_LINE_BYTES = 16 << 20
UTF8_BOM = b"\xef\xbb\xbf"


class HashingReader(io.RawIOBase):
    """A binary file wrapper that hashes and counts every byte read through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            self.sha256.update(memoryview(buffer)[:count])
            self.bytes_read += count
        return count or 0


@dataclass(frozen=True)
class Line:
    number: int
    content: bytes
    truncated: bool = False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def open_decompressed(hashing: HashingReader, path: Path) -> BinaryIO:
    buffered = io.BufferedReader(hashing, CHUNK_BYTES)
    if path.name.lower().endswith(".gz"):
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def iter_lines(stream: BinaryIO) -> Iterator[Line]:
    """Numbered lines without their line ending; a final line without newline counts too.

    A line longer than MAX_LINE_BYTES is cut there (and flagged) so memory stays bounded.
    """
    number = 0
    pending = b""
    skipping = False
    first = True
    while chunk := stream.read(CHUNK_BYTES):
        if first:
            chunk = chunk.removeprefix(UTF8_BOM)
            first = False
        pieces = chunk.split(b"\n")
        pieces[0] = pending + pieces[0] if not skipping else b""
        for piece in pieces[:-1]:
            if skipping:  # the rest of an over-long line, already counted and yielded
                skipping = False
                continue
            number += 1
            yield Line(number, piece.removesuffix(b"\r"))
        pending = pieces[-1]
        if not skipping and len(pending) > MAX_LINE_BYTES:
            number += 1
            yield Line(number, pending[:MAX_LINE_BYTES], truncated=True)
            pending = b""
            skipping = True
    if pending and not skipping:
        number += 1
        yield Line(number, pending.removesuffix(b"\r"))


@dataclass(frozen=True)
class CsvRecord:
    number: int
    original: bytes
    values: list[str] | None
    error: str | None = None


def iter_csv_records(stream: BinaryIO) -> tuple[list[str], Iterator[CsvRecord]]:
    """The header and an iterator of data records, each with its starting line number.

    A record that spans lines (a quoted newline) keeps all its lines as `original`.
    """
    lines = iter_lines(stream)
    header_line = next(lines, None)
    if header_line is None:
        return [], iter(())
    header = next(csv.reader([header_line.content.decode("utf-8", "replace")]))
    return [column.strip() for column in header], _records(lines)


def _records(lines: Iterator[Line]) -> Iterator[CsvRecord]:
    for line in lines:
        try:
            text = line.content.decode("utf-8")
        except UnicodeDecodeError as error:
            yield CsvRecord(line.number, line.content, None, f"invalid UTF-8: {error.reason}")
            continue
        consumed = [line.content]
        while text.count('"') % 2 == 1:
            following = next(lines, None)
            if following is None:
                break
            consumed.append(following.content)
            text += "\n" + following.content.decode("utf-8", "replace")
        values = next(csv.reader([text]), [])
        yield CsvRecord(line.number, b"\n".join(consumed), values)
