"""Ingest keys: who may post records to `/v1/ingest`, kept as hashes in one file.

The file (`ANALYTICS_INGEST_KEYS_FILE`, default `<state dir>/ingest-keys`) holds one key per
line as `sha256:<64 hex digits> <name>`; blank lines and `# comments` are ignored. Only the
hash is stored, so the file reveals no key; the name says whose key it is and is written to
each load's lineage (raw.loads.source_file). The file is read again when it changes, so a key
is added or revoked without restarting the service.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from routing_analytics.platform.errors import UserError

KEYS_FILE_VAR = "ANALYTICS_INGEST_KEYS_FILE"
DEFAULT_KEYS_FILE = "ingest-keys"
KEY_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_KEY_LINE = re.compile(r"sha256:([0-9a-f]{64})[ \t]+([^ \t]+)")
MAX_KEYS_FILE_BYTES = 1 << 20
MAX_KEY_CHARS = 256


@dataclass(frozen=True)
class IngestKey:
    name: str
    sha256: bytes


def keys_file(state_dir: Path) -> Path:
    configured = os.environ.get(KEYS_FILE_VAR, "").strip()
    return Path(configured) if configured else state_dir / DEFAULT_KEYS_FILE


def read_keys(path: Path) -> tuple[IngestKey, ...]:
    """The keys of the file; none when it does not exist (ingestion then refuses every key)."""
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_KEYS_FILE_BYTES + 1)
    except FileNotFoundError:
        return ()
    except OSError as error:
        raise UserError(f"{path}: cannot read the ingest keys ({error.strerror})") from None
    if len(content) > MAX_KEYS_FILE_BYTES:
        raise UserError(f"{path}: over {MAX_KEYS_FILE_BYTES} bytes; not an ingest keys file")
    keys = []
    for number, raw_line in enumerate(content.decode("utf-8", "replace").splitlines(), 1):
        line = raw_line.split("#", 1)[0].strip()
        if not line:
            continue
        matched = _KEY_LINE.fullmatch(line)
        if matched is None or not KEY_NAME_PATTERN.fullmatch(matched[2]):
            raise UserError(
                f"{path}, line {number}: not `sha256:<64 lowercase hex digits> <name>`"
                f" (a name of a-z, 0-9, _ . -, up to 64 characters)"
            )
        keys.append(IngestKey(matched[2], bytes.fromhex(matched[1])))
    return tuple(keys)


class IngestKeys:
    """The keys of one file, read again whenever the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._keys = self._reload()

    def name_of(self, presented: str) -> str | None:
        """The name of the key presented, or None. Every key is compared, in constant time."""
        if not presented or len(presented) > MAX_KEY_CHARS:
            return None
        digest = hashlib.sha256(presented.encode("utf-8", "replace")).digest()
        found = None
        for key in self._reload():
            if hmac.compare_digest(digest, key.sha256):
                found = key.name
        return found

    def _reload(self) -> tuple[IngestKey, ...]:
        try:
            stat = self.path.stat()
            seen: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            seen = None
        if seen != self._seen or seen is None:
            self._keys = read_keys(self.path)
            self._seen = seen
        return self._keys


def add_key(path: Path, name: str) -> str:
    """A new random key named `name`: its hash appended to the file (made 0600), the key
    returned, to be shown once."""
    if not KEY_NAME_PATTERN.fullmatch(name):
        raise UserError(f"{name!r}: a key name is a-z, 0-9, _ . - (up to 64 characters)")
    if any(key.name == name for key in read_keys(path)):
        raise UserError(f"{path}: a key named {name!r} exists; revoke it first (delete its line)")
    key = "rak_" + secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"sha256:{hashlib.sha256(key.encode()).hexdigest()} {name}\n")
    return key
