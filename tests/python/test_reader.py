"""Numbered lines from files: endings, compression, bounded memory, hashing."""

from __future__ import annotations

import gzip
import hashlib
import io

from loader import reader
from loader.reader import HashingReader, iter_csv_records, iter_lines, open_decompressed


def lines_of(content: bytes) -> list[tuple[int, bytes, bool]]:
    return [(line.number, line.content, line.truncated) for line in iter_lines(io.BytesIO(content))]


def test_line_endings_final_line_and_bom():
    assert lines_of(b"\xef\xbb\xbfa\r\nb\n\nc") == [
        (1, b"a", False),
        (2, b"b", False),
        (3, b"", False),
        (4, b"c", False),
    ]
    assert lines_of(b"a\n") == [(1, b"a", False)]
    assert lines_of(b"") == []


def test_lines_across_chunk_boundaries(monkeypatch):
    monkeypatch.setattr(reader, "CHUNK_BYTES", 3)
    assert [content for _, content, _ in lines_of(b"abcdefg\nhi\njklmnop")] == [
        b"abcdefg",
        b"hi",
        b"jklmnop",
    ]


def test_over_long_line_is_cut_and_the_next_line_keeps_its_number(monkeypatch):
    monkeypatch.setattr(reader, "CHUNK_BYTES", 4)
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 6)
    assert lines_of(b"ok\n" + b"x" * 20 + b"\nnext\n") == [
        (1, b"ok", False),
        (2, b"xxxxxx", True),
        (3, b"next", False),
    ]


def test_hash_is_of_the_file_bytes_even_when_compressed(tmp_path):
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n{"a": 2}\n'))
    with path.open("rb") as raw:
        hashing = HashingReader(raw)
        lines = list(iter_lines(open_decompressed(hashing, path)))
    assert [line.content for line in lines] == [b'{"a": 1}', b'{"a": 2}']
    assert hashing.sha256.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_csv_records_keep_quoted_newlines_and_flag_bad_utf8():
    header, records = iter_csv_records(
        io.BytesIO(b'tenant_id,plan\nt1,"pro\nplus"\n\xff,free\nt3,free\n')
    )
    rows = [(record.number, record.values, record.error) for record in records]
    assert header == ["tenant_id", "plan"]
    assert rows[0] == (2, ["t1", "pro\nplus"], None)
    assert rows[1][0] == 4
    assert rows[1][2].startswith("invalid UTF-8")
    assert rows[2] == (5, ["t3", "free"], None)
