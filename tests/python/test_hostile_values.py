"""Values outside a sane range are rejected in staging with a reason, so that nothing staging
passes can overflow a mart or a check, or stretch a date spine to 2099 (issue 10)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import WITHOUT_UNIT_TESTS, cli, rows

pytestmark = pytest.mark.integration

# dbt build without the data-quality gates (and without the unit tests: conftest.py).
BUILD_WITHOUT_GATES = ("dbt", "--", "build", "--exclude", "tag:data_quality", *WITHOUT_UNIT_TESTS)

NOW = datetime.now(UTC).replace(microsecond=0)


def _task(number: int, **changes: object) -> dict[str, object]:
    started = NOW - timedelta(hours=2)
    record: dict[str, object] = {
        "id": f"b0000000-0000-4000-8000-{number:012d}",
        "tenant_id": "tenant_range",
        "task_id": f"task-{number}",
        "agent_id": "agent-1",
        "task_type": "bug_fix",
        "provider_used": "openai",
        "model": "gpt-4o",
        "status": "completed",
        "timestamp_start": started.isoformat(),
        "timestamp_end": (started + timedelta(seconds=2)).isoformat(),
        "duration_ms": 2000,
        "tokens_used": 100,
        "cost_actual": 0.01,
    }
    record.update(changes)
    return record


def test_out_of_range_values_are_rejected_with_their_reason_and_the_build_passes(cli_env, tmp_path):
    far_future = datetime(2099, 12, 31, tzinfo=UTC)
    cases = {
        1: ({"cost_actual": 1e30}, "out_of_range_cost_actual"),
        2: ({"cost_baseline": 1e-300}, "out_of_range_cost_baseline"),
        3: ({"tokens_used": 2_000_000_000_000}, "out_of_range_tokens"),
        4: ({"duration_ms": 9_000_000_000}, "out_of_range_duration_ms"),
        5: (
            {
                "timestamp_start": far_future.isoformat(),
                "timestamp_end": (far_future + timedelta(seconds=2)).isoformat(),
            },
            "future_timestamp_start",
        ),
        6: (
            {"timestamp_start": "1999-01-01T00:00:00Z", "timestamp_end": "1999-01-01T00:00:02Z"},
            "too_old_timestamp_start",
        ),
        7: ({}, None),
        8: ({"tenant_id": "TENANT_RANGE"}, "invalid_tenant_id"),
        9: ({"tenant_id": "tenant_range "}, "invalid_tenant_id"),
    }
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "task_executions.jsonl").write_text(
        "".join(json.dumps(_task(n, **changes)) + "\n" for n, (changes, _) in cases.items())
    )
    (inbox / "tenants.jsonl").write_text(
        json.dumps(
            {
                "tenant_id": "tenant_range",
                "default_provider": "openai",
                "plan": "pro",
                "created_at": "2025-01-01T00:00:00Z",
            }
        )
        + "\n"
    )
    (inbox / "usage_events.jsonl").write_text(
        json.dumps(
            {
                "id": "c0000000-0000-4000-8000-000000000001",
                "tenant_id": "tenant_range",
                "event_type": "login",
                "occurred_at": "9999-12-31T00:00:00Z",
            }
        )
        + "\n"
    )
    loaded = cli(cli_env, "load", str(inbox))
    assert loaded.returncode == 0, loaded.stderr
    # Without the gates: 6 of 7 rejected is far above the rejected-share threshold.
    built = cli(cli_env, *BUILD_WITHOUT_GATES, "--quiet")
    assert built.returncode == 0, built.stdout[-4000:]
    url = cli_env["ANALYTICS_DATABASE_URL"]
    found = dict(
        rows(
            url,
            "select record_key, rejection_reasons from int.int_rejected_records"
            " where stream in ('task_executions', 'usage_events')",
        )
    )
    for number, (_, reason) in cases.items():
        key = f"b0000000-0000-4000-8000-{number:012d}"
        if reason is None:
            assert key not in found
        else:
            assert reason in found[key], (number, found.get(key))
    assert "future_occurred_at" in found["c0000000-0000-4000-8000-000000000001"]
    # Only the sane task is published, and no spine reaches past the data.
    assert rows(url, "select count(*) from analytics.task_executions") == [(1,)]
    assert rows(url, "select max(date) <= current_date from analytics.usage_analytics") == [(True,)]


def test_sensitive_values_in_identifier_fields_are_never_stored_and_the_record_is_rejected(
    cli_env, tmp_path
):
    cases = {
        11: ({"agent_id": "alice@example.com"}, "sensitive_agent_id", "alice@example.com"),
        12: ({"agent_id": "bob\uff20example.com"}, "sensitive_agent_id", "example.com"),
        13: ({"model": "src/models/weights.bin"}, "sensitive_model", "weights.bin"),
        14: ({"provider_account_id": "10.1.2.3"}, "sensitive_provider_account_id", "10.1.2.3"),
        15: ({"language": "/home/carol/secret"}, "sensitive_language", "/home/carol"),
        16: ({"task_id": "C:\\Users\\dave\\job"}, "sensitive_task_id", "dave"),
        17: ({"model": "anthropic/claude-3.5-sonnet"}, None, None),
    }
    metadata = {"t\u043eken": "abc", "client_ip": "x", "editor": "vim", "zip": "12345"}
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "task_executions.jsonl").write_text(
        "".join(
            json.dumps(_task(n, metadata=metadata, **changes)) + "\n"
            for n, (changes, _, _) in cases.items()
        )
    )
    (inbox / "usage_events.jsonl").write_text(
        json.dumps(
            {
                "id": "c0000000-0000-4000-8000-000000000002",
                "tenant_id": "tenant_range",
                "event_type": "login",
                "occurred_at": NOW.isoformat(),
                "ip": "192.168.0.7",
            }
        )
        + "\n"
    )
    loaded = cli(cli_env, "load", str(inbox))
    assert loaded.returncode == 0, loaded.stderr
    url = cli_env["ANALYTICS_DATABASE_URL"]
    stored = rows(
        url,
        "select string_agg(record::text, ' ') from (select record from raw.task_executions"
        " union all select record from raw.usage_events) as landed",
    )[0][0]
    for _, _, secret in cases.values():
        if secret:
            assert secret not in stored, secret
    assert "192.168.0.7" not in stored
    assert "\u043e" not in stored and "client_ip" not in stored
    assert '"editor": "vim"' in stored or '"editor":"vim"' in stored
    built = cli(cli_env, *BUILD_WITHOUT_GATES, "--quiet")
    assert built.returncode == 0, built.stdout[-3000:]
    found = dict(
        rows(
            url,
            "select record_key, rejection_reasons from int.int_rejected_records"
            " where stream = 'task_executions'",
        )
    )
    for number, (_, reason, _) in cases.items():
        key = f"b0000000-0000-4000-8000-{number:012d}"
        if reason is None:
            assert key not in found, found.get(key)
        else:
            assert reason in found[key], (number, found.get(key))
