"""Privacy rules at the edge, and that dbt's second line of defence uses the same patterns."""

from __future__ import annotations

import random
import stat
import uuid

import pytest
import yaml

from loader import privacy
from loader.privacy import (
    Pseudonymiser,
    is_sensitive_identifier,
    load_or_create_key,
    redact_text,
    scrub_entries,
)
from loader.records import LineProcessor, _has_long_exponent
from loader.streams import STREAMS
from routing_analytics.platform.config import project_dir


def test_dbt_vars_carry_the_same_patterns_as_the_loader():
    project = yaml.safe_load((project_dir() / "dbt_project.yml").read_text())
    assert project["vars"]["privacy_sensitive_key_pattern"] == privacy.SENSITIVE_KEY_PATTERN
    assert project["vars"]["privacy_secret_pattern"] == privacy.SECRET_PATTERN
    assert project["vars"]["privacy_email_pattern"] == privacy.EMAIL_PATTERN
    assert project["vars"]["privacy_path_pattern"] == privacy.PATH_PATTERN
    assert project["vars"]["privacy_max_inspected_chars"] == privacy.MAX_INSPECTED_CHARS
    assert project["vars"]["redacted_identifier"] == privacy.REDACTED_IDENTIFIER


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("failed reading /home/jane/project/app.py line 3", "failed reading <path> line 3"),
        ("owner jane.doe@example.com notified", "owner <email> notified"),
        ("auth with sk-live-abc123def456ghi789jkl failed", "auth with <secret> failed"),
        ("C:\\Users\\jane\\x.py broke", "<path> broke"),
        ("see src/app/main.py", "see <path>"),
        ("POST https://api.example.com/v1/chat failed", "POST <path> failed"),
        ("api_key=abcd1234 rejected", "<secret> rejected"),
        ("ghp_abcdefghijklmnopqrstuvwxyz0123 revoked", "<secret> revoked"),
    ],
)
def test_error_messages_keep_their_shape_with_placeholders(message, expected):
    assert redact_text(message)[0] == expected


@pytest.mark.parametrize(
    "message",
    [
        "rate limit exceeded (429)",
        "upstream timeout after 30000 ms",
        "content-type application/json not accepted",
        "model n/a for tier",
        "request 550e8400-e29b-41d4-a716-446655440000 failed",
    ],
)
def test_harmless_error_messages_are_left_alone(message):
    assert redact_text(message) == (message, 0)


def test_metadata_loses_sensitive_keys_and_values_at_any_depth():
    metadata = {
        "editor": "vscode",
        "retry_count": 2,
        "file_path": "src/x.py",
        "prompt": "def f(): pass",
        "note": "mail jane@example.com",
        "nested": {"api_key": "x", "ok": True, "items": ["/etc/passwd", "fine"]},
        "snippet_lines": 3,
        "multi": "line one\nline two",
    }
    removed = scrub_entries(metadata)
    assert metadata == {
        "editor": "vscode",
        "retry_count": 2,
        "nested": {"ok": True, "items": ["fine"]},
    }
    assert removed == 7


def test_records_are_scrubbed_and_user_ids_pseudonymised():
    processor = LineProcessor(STREAMS["usage_events"], Pseudonymiser(b"k" * 32))
    landed = processor.prepare_json(
        b'{"id": "e1", "user_id": "alice", "tenant_id": "t1", "user_email": "a@b.io"}'
    )
    assert isinstance(landed, bytes)
    assert b"alice" not in landed
    assert b"a@b.io" not in landed
    assert Pseudonymiser(b"k" * 32).pseudonymise("alice").encode() in landed
    assert processor.counts.user_ids_pseudonymised == 1
    assert processor.counts.metadata_entries_removed == 1


def test_contract_fields_are_not_mistaken_for_sensitive_keys():
    processor = LineProcessor(STREAMS["task_executions"], Pseudonymiser(b"k" * 32))
    line = b'{"id": "1", "tokens_used": 5, "input_tokens": 3, "output_tokens": 2}'
    assert processor.prepare_json(line) == line


def test_pseudonyms_are_stable_per_key_and_differ_between_keys():
    first, other = Pseudonymiser(b"a" * 32), Pseudonymiser(b"b" * 32)
    assert first.pseudonymise("alice") == first.pseudonymise("alice")
    assert first.pseudonymise("alice") != other.pseudonymise("alice")
    assert first.pseudonymise("alice") != first.pseudonymise("bob")


def test_key_is_created_once_readable_by_owner_only(tmp_path):
    created = load_or_create_key(tmp_path)
    key_file = tmp_path / "pseudonym.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path).key == created.key
    assert created.key.hex() not in repr(created)


@pytest.mark.parametrize(
    "line",
    [
        b'{"id": "e1", "user_id": "alice", "n": 7}',  # integers only: the fast writer
        b'{"id": "e1", "user_id": "alice", "n": 0.1000000000000000055511}',  # exact writer
        b'{"id": "e1", "user_id": "alice", "n": 123456789012345678901234567890}',
    ],
)
def test_rewritten_records_are_scrubbed_once_and_keep_their_numbers(line):
    processor = LineProcessor(STREAMS["usage_events"], Pseudonymiser(b"k" * 32))
    landed = processor.prepare_json(line)
    assert isinstance(landed, bytes)
    expected_pseudonym = Pseudonymiser(b"k" * 32).pseudonymise("alice")
    assert f'"user_id":"{expected_pseudonym}"' in landed.decode().replace(" ", "")
    number = line.split(b'"n": ')[1].rstrip(b"}")
    assert landed.replace(b" ", b"").endswith(b'"n":' + number + b"}")
    assert processor.counts.user_ids_pseudonymised == 1


# Long adversarial values: runs of one class, alternations, near-misses of each pattern.
ADVERSARIAL = {
    "letters": "a" * 4_000_000,
    "near_jwt": "eyJ" * 1_000_000,
    "near_email": ("a" * 70 + "@") * 50_000,
    "near_path": "a/" * 2_000_000,
    "dotted": "a." * 2_000_000,
    "near_scheme": "a" * 3_000_000 + ":",
    "near_key": "api_key " * 500_000,
    "spaces": "Bearer" + " " * 4_000_000,
    "mixed": "aB3+" * 1_000_000,
}


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_every_pattern_is_fast_on_megabytes_of_hostile_text(name):
    """A hostile file once stalled the loader for 30 minutes (catastrophic backtracking)."""
    import time  # noqa: PLC0415

    text = ADVERSARIAL[name]
    started = time.perf_counter()
    redact_text(text)
    privacy.is_sensitive_value(text)
    privacy.is_sensitive_value(text[: privacy.MAX_INSPECTED_CHARS])
    redact_text(text[: privacy.MAX_INSPECTED_CHARS])
    assert time.perf_counter() - started < 0.5, name


def test_overlong_text_is_cut_before_inspection_and_counts_as_sensitive():
    long_message = "x" * (privacy.MAX_INSPECTED_CHARS + 10)
    assert redact_text(long_message) == ("x" * privacy.MAX_INSPECTED_CHARS + "<truncated>", 1)
    assert privacy.is_sensitive_value(long_message)
    assert not privacy.is_sensitive_value("x" * privacy.MAX_INSPECTED_CHARS)


@pytest.mark.parametrize("name", ["letters", "near_jwt", "near_email", "near_path", "mixed"])
def test_the_staging_copy_of_the_patterns_is_fast_on_hostile_text(conn, name):
    """The same rules in SQL (the second line of defence) on text landed around the loader."""
    import time  # noqa: PLC0415

    project = yaml.safe_load((project_dir() / "dbt_project.yml").read_text())["vars"]
    limit = project["privacy_max_inspected_chars"]
    text = ADVERSARIAL[name][:200_000]
    started = time.perf_counter()
    for pattern in (
        project["privacy_secret_pattern"],
        project["privacy_email_pattern"],
        project["privacy_path_pattern"],
    ):
        conn.execute(
            "select regexp_replace(left(%s, %s), %s, 'x', 'g'), left(%s, %s) ~ %s",
            (text, limit, pattern, text, limit, pattern),
        ).fetchone()
    assert time.perf_counter() - started < 2.0, name


@pytest.mark.parametrize(
    ("line", "has_one"),
    [
        (b'{"cost": 1e5000}', True),
        (b'{"cost": -2.5E+4000}', True),
        (b"[12e-1234]", True),
        (b'{"note": "x 1e9999"}', True),  # inside a string: checked, never missed
        (b'{"cost": 1e400}', False),
        (b'{"task_id": "task_ab9e1234"}', False),  # the middle of an id
        (b'{"id": "1ba0aedb9e12345f"}', False),
    ],
)
def test_only_numbers_with_a_long_exponent_get_the_exact_number_check(line, has_one):
    """The cheap test that sends a line to the exact (slow) number check: every number with
    a four-digit exponent, and not the "9e1234" in the middle of most hex ids."""
    assert _has_long_exponent(line) is has_one


def test_canonical_uuids_skip_the_identifier_patterns_and_nothing_else_does():
    assert not is_sensitive_identifier("1ba0aedb-87dc-4252-bfa1-c63b36a5d277")
    for bait in ("ops@example.com", "/srv/app/main.py", "10.1.2.3", "sk-" + "a1" * 10):
        assert is_sensitive_identifier(bait), bait


def test_the_identifier_fast_paths_never_skip_what_the_patterns_would_catch():
    """is_sensitive_identifier answers UUIDs and short lowercase words without the patterns;
    the full patterns must agree on every such value, hostile ones included."""
    rng = random.Random(7)
    word = "abcdefghijklmnopqrstuvwxyz0123456789_"
    values = [
        prefix + "".join(rng.choice(word) for _ in range(length))
        for prefix in ("", "ghp_", "gho_", "ghs_", "github_pat_", "sk_", "xoxb_", "token_", "ip_")
        for length in range(0, 24)
    ]
    values += ["".join(rng.choice(word) for _ in range(rng.randint(1, 23))) for _ in range(5000)]
    values += [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(1000)]
    for value in values:
        if privacy.SHORT_LOWERCASE_WORD.fullmatch(value) or privacy.CANONICAL_UUID.fullmatch(value):
            assert privacy._SENSITIVE_IDENTIFIER.search(value) is None, value
