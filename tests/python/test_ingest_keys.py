"""Ingest keys: only hashes are kept, a key is found by its hash, the file is read again
when it changes, and a malformed file is a clear error. And the gzip meter of /v1/ingest
counts every member of a body without inflating more than the limit."""

from __future__ import annotations

import gzip
import hashlib
import os

import pytest

from routing_analytics.api.ingest import _InflatedSize
from routing_analytics.api.ingest_keys import IngestKeys, add_key, read_keys
from routing_analytics.platform.errors import UserError


def test_a_new_key_is_kept_as_its_hash_for_its_owner_only(tmp_path):
    path = tmp_path / "state" / "ingest-keys"
    key = add_key(path, "router-prod")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert key not in path.read_text()
    assert path.read_text() == f"sha256:{hashlib.sha256(key.encode()).hexdigest()} router-prod\n"
    keys = IngestKeys(path)
    assert keys.name_of(key) == "router-prod"
    assert keys.name_of(key + "x") is None
    assert keys.name_of("") is None
    with pytest.raises(UserError, match="exists"):
        add_key(path, "router-prod")


def test_keys_are_added_and_revoked_without_a_restart(tmp_path):
    path = tmp_path / "ingest-keys"
    keys = IngestKeys(path)
    first = add_key(path, "first")
    assert keys.name_of(first) == "first"
    second = add_key(path, "second")
    assert keys.name_of(second) == "second"
    path.write_text("# revoked: first\n" + path.read_text().splitlines()[1] + "\n")
    assert keys.name_of(first) is None
    assert keys.name_of(second) == "second"


@pytest.mark.parametrize(
    "line",
    ["sha256:abc router", f"sha256:{'A' * 64} router", f"sha256:{'a' * 64}", f"md5:{'a' * 64} x"],
)
def test_a_malformed_keys_file_names_its_line(tmp_path, line):
    path = tmp_path / "ingest-keys"
    path.write_text(f"# keys\n\n{line}\n")
    with pytest.raises(UserError, match="line 3"):
        read_keys(path)


def test_key_names_are_plain(tmp_path):
    with pytest.raises(UserError, match="key name"):
        add_key(tmp_path / "keys", "Router Prod")


def test_the_gzip_meter_counts_every_member_and_stops_at_the_limit():
    member = b'{"id": 1}\n' * 1000
    body = gzip.compress(member) + gzip.compress(member)
    meter = _InflatedSize(limit=1 << 20)
    for start in range(0, len(body), 7):
        meter.feed(body[start : start + 7])
    assert meter.total == 2 * len(member)

    bomb = gzip.compress(b"\n" * (64 << 20))
    bounded = _InflatedSize(limit=1000)
    bounded.feed(bomb)
    assert 1000 < bounded.total <= 1000 + (1 << 20)

    broken = _InflatedSize(limit=1 << 20)
    broken.feed(b"not gzip at all")
    assert broken.total == 0
