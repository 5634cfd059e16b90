"""Privacy at the edge: nothing that can carry code, paths, secrets or personal data is stored.

The patterns below are also used by the dbt staging models as a second line of defence
(`dbt_project.yml` vars `privacy_*`); tests/python/test_privacy.py checks both copies agree.
They are written in the common subset of Python `re` and PostgreSQL ARE syntax: no `\b`, only
fixed-width lookbehind.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routing_analytics.platform.errors import UserError

SENSITIVE_KEY_PATTERN = (
    r"code|content|prompt|completion|diff|file|path|dir|env|secret|token|passw|pwd|key|"
    r"credential|auth|cookie|session|email|mail|name|author|user|phone|address|snippet"
)
# Every repetition that a failed attempt can walk is bounded (PostgreSQL allows at most 255),
# so that one attempt costs a bounded number of steps and a search is linear in the text;
# and no text longer than MAX_INSPECTED_CHARS is inspected at all (see below).
SECRET_PATTERN = (
    r"(sk|pk|rk)-[A-Za-z0-9_-]{16,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|eyJ[A-Za-z0-9_-]{8,255}[.][A-Za-z0-9_-]{8,}([.][A-Za-z0-9_-]+)?"
    r"|-----BEGIN [A-Z ]{0,64}PRIVATE KEY-----"
    r"|[Bb]earer\s{1,16}[A-Za-z0-9._~+/=-]{16,}"
    r"|(api[_-]?key|secret|password|passwd|token)\s{0,16}[=:]\s{0,16}[^\s,;]+"
    r"|(?=[A-Za-z0-9+/_=]{0,64}[0-9])(?=[A-Za-z0-9+/_=]{0,64}[A-Za-z])[A-Za-z0-9+/_=]{32,}"
)
EMAIL_PATTERN = (
    r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}([.][A-Za-z0-9-]{1,63}){0,8}[.][A-Za-z]{2,63}"
)
PATH_PATTERN = (
    r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s]*"
    r"|(?<![A-Za-z0-9_.-])(~|[.]{1,2})?/[^\s/]+(/[^\s]*)?"
    r"|[A-Za-z]:\\[^\s]*|\\\\[^\s]+"
    r"|[A-Za-z0-9_.-]{1,64}/[A-Za-z0-9_./-]{0,128}[.][A-Za-z0-9]{1,8}"
)
# Longer text is not inspected: a metadata value this long is treated as sensitive (it can
# hold code), an error message is cut to it before its redaction.
MAX_INSPECTED_CHARS = 2048
# IP addresses are personal data. IPv6 needs a `::` or all eight groups, so that a time
# such as 12:30:45 is not one. Loader only: the staging copy's cheap pre-check would need
# "." or ":", in nearly every text.
IP_PATTERN = (
    r"(?<![0-9.])([0-9]{1,3}[.]){3}[0-9]{1,3}(?![0-9]|[.][0-9])"
    r"|(?<![0-9A-Za-z:])(?=[0-9A-Fa-f:]{0,39}::|([0-9A-Fa-f]{1,4}:){7})[0-9A-Fa-f:]{3,39}"
    r"(?![0-9A-Za-z:])"
)
# Error messages keep their shape: each match becomes a placeholder, secrets first so that
# "api_key=sk-..." is one <secret> and not a half-redacted path.
REDACTIONS: tuple[tuple[str, str], ...] = (
    (SECRET_PATTERN, "<secret>"),
    (EMAIL_PATTERN, "<email>"),
    (PATH_PATTERN, "<path>"),
    (IP_PATTERN, "<ip>"),
)
# What an identifier field (agent_id, model, ...) holds instead of a sensitive value; staging
# rejects the record (sensitive_<field>), so that nothing sensitive is stored or published.
REDACTED_IDENTIFIER = "<redacted>"
# An identifier (a model such as "anthropic/claude-3.5-sonnet") may hold a slash: only a path
# that ends with a file extension, or an absolute one, counts there.
IDENTIFIER_PATH_PATTERN = (
    r"[A-Za-z][A-Za-z0-9+.-]{0,31}://"
    r"|(?<![A-Za-z0-9_.-])(~|[.]{1,2})?/[^\s/]+"
    r"|[A-Za-z]:\\|\\\\"
    r"|[A-Za-z0-9_.-]{1,64}/[A-Za-z0-9_./-]{0,128}[.][A-Za-z0-9]{1,8}$"
)
# A key word that names an IP address, as a whole word of the key (not "zip", "description").
IP_KEY_WORDS = frozenset({"ip", "ipv4", "ipv6", "ips", "addr"})

_SENSITIVE_KEY = re.compile(SENSITIVE_KEY_PATTERN, re.IGNORECASE)
_KEY_WORD = re.compile(r"[^a-z0-9]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SENSITIVE_VALUE = re.compile("|".join(f"(?:{p})" for p, _ in REDACTIONS) + r"|\n")
CANONICAL_UUID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
# Lowercase letters, digits and _ up to 23 characters ("task_9b95d5c7e3e51650") match no
# pattern: no @ / \ : . = - or space, no uppercase (AKIA, AIza), shorter than gh?_ + 20
# and a 32-character token. tests/python/test_privacy.py checks the patterns agree.
SHORT_LOWERCASE_WORD = re.compile(r"[a-z0-9_]{1,23}")
_SENSITIVE_IDENTIFIER = re.compile(
    "|".join(
        f"(?:{p})" for p in (SECRET_PATTERN, EMAIL_PATTERN, IP_PATTERN, IDENTIFIER_PATH_PATTERN)
    )
)
_REDACTORS = tuple((re.compile(pattern), placeholder) for pattern, placeholder in REDACTIONS)

TRUNCATED = "<truncated>"
KEY_FILE_VAR = "ANALYTICS_PSEUDONYM_KEY_FILE"
CACHED_VALUE_LENGTH = 64


@dataclass
class RedactionCounts:
    metadata_entries_removed: int = 0
    error_message_redactions: int = 0
    user_ids_pseudonymised: int = 0

    def add(self, other: RedactionCounts) -> None:
        self.metadata_entries_removed += other.metadata_entries_removed
        self.error_message_redactions += other.error_message_redactions
        self.user_ids_pseudonymised += other.user_ids_pseudonymised


@dataclass(frozen=True)
class Pseudonymiser:
    key: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        """A fingerprint that tells which key made a pseudonym, without revealing the key."""
        return hashlib.sha256(b"key-id:" + self.key).hexdigest()[:12]

    def pseudonymise(self, value: object) -> str:
        digest = hmac.new(self.key, str(value).encode(), hashlib.sha256).hexdigest()
        return f"u_{digest[:32]}"


def load_or_create_key(state_dir: Path) -> Pseudonymiser:
    """The per-installation key: created on first use, never printed, never stored in the DB."""
    key_file = Path(os.environ.get(KEY_FILE_VAR, state_dir / "pseudonym.key"))
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    key_hex = key_file.read_text().strip()
    try:
        key = bytes.fromhex(key_hex)
    except ValueError:
        raise UserError(f"pseudonymisation key file {key_file} is not hex") from None
    if len(key) < 32:
        raise UserError(f"pseudonymisation key in {key_file} is shorter than 32 bytes")
    return Pseudonymiser(key)


# Keys and short values repeat across millions of records (editor names, versions, flags);
# caching the verdict keeps the regexes off the hot path. The caches are bounded.
@functools.lru_cache(maxsize=1 << 14)
def is_sensitive_key(key: str) -> bool:
    """Compared after NFKC and case folding; a key with any other than ASCII characters is
    sensitive (a Cyrillic look-alike letter must not smuggle "token" past the rules)."""
    folded = unicodedata.normalize("NFKC", key).casefold()
    if not folded.isascii() or _SENSITIVE_KEY.search(folded) is not None:
        return True
    return not IP_KEY_WORDS.isdisjoint(_KEY_WORD.split(_CAMEL_BOUNDARY.sub("_", key).lower()))


def is_sensitive_value(value: str) -> bool:
    if len(value) > MAX_INSPECTED_CHARS:
        return True
    value = _compatibility_folded(value)
    if len(value) > CACHED_VALUE_LENGTH:
        return _SENSITIVE_VALUE.search(value) is not None
    return _is_sensitive_short_value(value)


@functools.lru_cache(maxsize=1 << 16)
def _is_sensitive_short_value(value: str) -> bool:
    return _SENSITIVE_VALUE.search(value) is not None


def is_sensitive_identifier(value: str) -> bool:
    """An identifier field's value that is (or holds) a secret, an e-mail, an IP address or
    a file path. A canonical UUID or a short lowercase word (the usual task ids, unique per
    record, so never cached) is none of them: hex digits and hyphens hold no @, /, \\, dots
    or a run of 32 token characters."""
    if SHORT_LOWERCASE_WORD.fullmatch(value) or CANONICAL_UUID.fullmatch(value):
        return False
    return _is_sensitive_other_identifier(value)


@functools.lru_cache(maxsize=1 << 16)
def _is_sensitive_other_identifier(value: str) -> bool:
    """Cached: agents, models and languages repeat in every record."""
    if len(value) > MAX_INSPECTED_CHARS:
        return True
    return _SENSITIVE_IDENTIFIER.search(_compatibility_folded(value)) is not None


def _compatibility_folded(text: str) -> str:
    """NFKC, so that a full-width at sign is an @ for the patterns (ASCII is left as is)."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def redact_text(text: str) -> tuple[str, int]:
    total = 0
    if len(text) > MAX_INSPECTED_CHARS:
        text, total = text[:MAX_INSPECTED_CHARS] + TRUNCATED, 1
    text = _compatibility_folded(text)
    for pattern, placeholder in _REDACTORS:
        text, count = pattern.subn(placeholder, text)
        total += count
    return text, total


def scrub_entries(entries: dict[str, Any], keys: list[str] | None = None) -> int:
    """Remove sensitive entries in place (all keys, or only `keys`); returns how many."""
    removed = 0
    for key in list(entries) if keys is None else keys:
        value = entries[key]
        if is_sensitive_key(key) or (isinstance(value, str) and is_sensitive_value(value)):
            del entries[key]
            removed += 1
        else:
            removed += _scrub_nested(value)
    return removed


def _scrub_nested(value: Any) -> int:
    if isinstance(value, dict):
        return scrub_entries(value)
    if isinstance(value, list):
        removed = 0
        for index in range(len(value) - 1, -1, -1):
            item = value[index]
            if isinstance(item, str) and is_sensitive_value(item):
                del value[index]
                removed += 1
            else:
                removed += _scrub_nested(item)
        return removed
    return 0
