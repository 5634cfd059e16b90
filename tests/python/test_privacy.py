"""Privacy rules at the edge, and that dbt's second line of defence uses the same patterns."""

from __future__ import annotations

import stat

import pytest
import yaml

from loader import privacy
from loader.config import project_dir
from loader.privacy import Pseudonymiser, load_or_create_key, redact_text, scrub_entries
from loader.records import LineProcessor
from loader.streams import STREAMS


def test_dbt_vars_carry_the_same_patterns_as_the_loader():
    project = yaml.safe_load((project_dir() / "dbt_project.yml").read_text())
    assert project["vars"]["privacy_sensitive_key_pattern"] == privacy.SENSITIVE_KEY_PATTERN
    assert project["vars"]["privacy_secret_pattern"] == privacy.SECRET_PATTERN
    assert project["vars"]["privacy_email_pattern"] == privacy.EMAIL_PATTERN
    assert project["vars"]["privacy_path_pattern"] == privacy.PATH_PATTERN


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
