"""The sample-data generator: determinism, the input contract, invariants and counted faults."""

from __future__ import annotations

import csv
import gzip
import random
import re
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from loader.streams import STREAMS
from routing_analytics.tools.generate import GenerateOptions, GenerateResult, generate
from routing_analytics.tools.generate.pricing import usd_text
from routing_analytics.tools.generate.timefmt import uuid4_from_bits

END = date(2026, 11, 24)
WINDOW_START = datetime(2026, 11, 22, tzinfo=UTC)
WINDOW_END = datetime(2026, 11, 25, tzinfo=UTC)
SMALL: dict[str, Any] = {"tenants": 3, "days": 3, "executions": 2_000, "end_date": END}

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")
DECIMAL_RE = re.compile(r"^\d+(\.\d+)?$")

TASK_TYPES = {
    "code_completion",
    "code_refactoring",
    "bug_fix",
    "test_generation",
    "documentation",
    "code_review",
    "other",
}
STATUSES = {"completed", "failed", "timeout", "cancelled"}
REASONS = {
    "lowest_cost",
    "best_quality",
    "fastest_response",
    "provider_preference",
    "load_balancing",
    "fallback",
}
EVENT_TYPES = {"api_call", "dashboard_view", "task_created", "login"}
# The contract is loader/streams.py: the generator must write exactly its fields.
TASK_FIELDS = STREAMS["task_executions"].fields
TASK_REQUIRED = {
    "id",
    "tenant_id",
    "task_id",
    "agent_id",
    "task_type",
    "timestamp_start",
    "timestamp_end",
    "provider_used",
    "model",
    "provider_account_id",
    "tokens_used",
    "status",
    "language",
    "complexity",
    "metadata",
}
DECISION_FIELDS = STREAMS["routing_decisions"].fields
EMBEDDED_FIELDS = DECISION_FIELDS - {"task_execution_id", "tenant_id"}
USAGE_FIELDS = STREAMS["usage_events"].fields
TOKEN_SPLIT = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def run(out: Path, **overrides: Any) -> GenerateResult:
    return generate(GenerateOptions(out_dir=out, **{**SMALL, **overrides}))


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def ms_between(start: str, end: str) -> int:
    return round((ts(end) - ts(start)) / timedelta(milliseconds=1))


def read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def ndjson(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in read_bytes(path).splitlines()]


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateResult]:
    out = tmp_path_factory.mktemp("clean")
    return out, run(out)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateResult]:
    out = tmp_path_factory.mktemp("faulty")
    return out, run(out, executions=6_000, faults=True)


def test_same_options_give_identical_bytes_and_another_seed_differs(tmp_path, clean):
    out, result = clean
    again = run(tmp_path / "again")
    other = run(tmp_path / "other", seed=7)
    assert again.counts == result.counts
    for name in ("tenants.csv", "provider_pricing.csv", "task_executions.jsonl"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
    for name in ("routing_decisions.jsonl", "usage_events.jsonl"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
    assert (tmp_path / "other" / "task_executions.jsonl").read_bytes() != (
        out / "task_executions.jsonl"
    ).read_bytes()
    assert other.counts["task_executions"] == 2_000


def test_gzip_output_is_deterministic_and_holds_the_same_lines(tmp_path, clean):
    out, _ = clean
    first = run(tmp_path / "a", compress=True)
    run(tmp_path / "b", compress=True)
    paths = first.files["task_executions"]
    assert [p.name for p in paths] == ["task_executions.jsonl.gz"]
    assert paths[0].read_bytes() == (tmp_path / "b" / paths[0].name).read_bytes()
    # A zero mtime in the gzip header keeps runs in different seconds identical too.
    assert paths[0].read_bytes()[4:8] == bytes(4)
    assert read_bytes(paths[0]) == (out / "task_executions.jsonl").read_bytes()


def test_files_and_counts_match_what_is_on_disk(clean):
    out, result = clean
    assert sorted(p.name for p in out.iterdir()) == [
        "provider_pricing.csv",
        "routing_decisions.jsonl",
        "task_executions.jsonl",
        "tenants.csv",
        "usage_events.jsonl",
    ]
    assert result.faults == {}
    assert result.counts["task_executions"] == SMALL["executions"]
    for stream, paths in result.files.items():
        lines = sum(read_bytes(p).count(b"\n") for p in paths)
        header = 1 if paths[0].suffix == ".csv" else 0
        assert result.counts[stream] == lines - header * len(paths), stream


def test_task_executions_follow_the_contract(clean):
    out, _ = clean
    tenants = {row["tenant_id"] for row in csv_rows(out / "tenants.csv")}
    providers = {row["provider"] for row in csv_rows(out / "provider_pricing.csv")}
    records = ndjson(out / "task_executions.jsonl")
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert TASK_REQUIRED <= r.keys() <= TASK_FIELDS, r
        assert UUID_RE.match(r["id"])
        assert r["tenant_id"] in tenants
        assert r["provider_used"] in providers
        assert r["task_type"] in TASK_TYPES
        assert r["status"] in STATUSES
        assert r["complexity"] in {"simple", "moderate", "complex"}
        assert r.get("pricing_tier", "standard") in {"standard", "enterprise"}
        assert TS_RE.match(r["timestamp_start"]) and TS_RE.match(r["timestamp_end"])
        assert WINDOW_START <= ts(r["timestamp_start"]) <= ts(r["timestamp_end"]) < WINDOW_END
        assert ("error_message" in r) == (r["status"] in {"failed", "timeout"})
        assert 0 <= r.get("quality_score", 0) <= 100
        assert isinstance(r["metadata"], dict)
        assert set(r["metadata"]) == {"editor", "client_version", "retry_count", "cache_hit"}
    # cost_actual comes as a string or a bare number, both plain decimals with <= 9 places.
    raw_costs = re.findall(
        rb'"cost_actual":("?)([^,"}]*)"?', (out / "task_executions.jsonl").read_bytes()
    )
    assert len(raw_costs) == sum("cost_actual" in r for r in records) > 0
    assert {quote for quote, _ in raw_costs} == {b"", b'"'}
    assert all(re.fullmatch(rb"\d+\.\d{1,9}", text) for _, text in raw_costs)
    # Timestamps use Z, +00:00 and the tenants' local offsets for the same instants.
    suffixes = {r["timestamp_start"][23:] for r in records}
    assert {"Z", "+00:00"} < suffixes


def test_tokens_and_durations_are_consistent(clean):
    out, _ = clean
    records = ndjson(out / "task_executions.jsonl")
    split = [r for r in records if "input_tokens" in r]
    assert 0.04 < 1 - len(split) / len(records) < 0.18  # ~10 % give only tokens_used
    for r in split:
        assert all(isinstance(r[k], int) and r[k] >= 0 for k in TOKEN_SPLIT)
        assert r["input_tokens"] >= r["cache_read_tokens"] + r["cache_write_tokens"]
        assert r["tokens_used"] == r["input_tokens"] + r["output_tokens"]
    assert any(r["cache_read_tokens"] for r in split)
    assert any(r["cache_write_tokens"] for r in split)
    timed = [r for r in records if "duration_ms" in r]
    assert 0.01 < 1 - len(timed) / len(records) < 0.10  # ~5 % leave it to derivation
    for r in timed:
        assert r["duration_ms"] == ms_between(r["timestamp_start"], r["timestamp_end"])


def test_every_task_has_exactly_one_routing_decision(clean):
    out, _ = clean
    records = ndjson(out / "task_executions.jsonl")
    standalone = ndjson(out / "routing_decisions.jsonl")
    by_task = {r["id"]: r for r in records}
    embedded = [(r["id"], r["routing_decision"]) for r in records if "routing_decision" in r]
    assert 0.2 < len(embedded) / len(records) < 0.4
    for d in standalone:
        assert set(d) == DECISION_FIELDS
        assert by_task[d["task_execution_id"]]["tenant_id"] == d["tenant_id"]
    for _, d in embedded:
        assert set(d) == EMBEDDED_FIELDS
    owners = Counter([task_id for task_id, _ in embedded])
    owners.update(d["task_execution_id"] for d in standalone)
    assert set(owners) == set(by_task)
    assert set(owners.values()) == {1}
    pairs = embedded + [(d["task_execution_id"], d) for d in standalone]
    cheapest = 0
    for task_id, d in pairs:
        task = by_task[task_id]
        assert UUID_RE.match(d["id"])
        assert d["routing_reason"] in REASONS
        assert d["provider_selected"] == task["provider_used"]
        assert 2 <= len(d["providers_evaluated"]) <= 4 or d["routing_reason"] == "fallback"
        assert d["provider_selected"] in d["providers_evaluated"]
        assert set(d["cost_estimates"]) == set(d["providers_evaluated"])
        assert all(DECIMAL_RE.match(v) for v in d["cost_estimates"].values())
        assert TS_RE.match(d["decided_at"])
        assert (
            timedelta(0) < ts(task["timestamp_start"]) - ts(d["decided_at"]) < timedelta(seconds=1)
        )
        estimates = {p: Decimal(v) for p, v in d["cost_estimates"].items()}
        cheapest += estimates[d["provider_selected"]] == min(estimates.values())
    # Mostly, not always, the cheapest estimate wins.
    assert 0.5 < cheapest / len(pairs) < 0.98


def test_usage_events_follow_the_contract(clean):
    out, _ = clean
    events = ndjson(out / "usage_events.jsonl")
    tenants = {row["tenant_id"] for row in csv_rows(out / "tenants.csv")}
    for e in events:
        assert set(e) == USAGE_FIELDS
        assert UUID_RE.match(e["id"])
        assert e["tenant_id"] in tenants
        assert e["event_type"] in EVENT_TYPES
        assert re.match(r"^u-\d{4}-\d{4}$", e["user_id"])
        assert TS_RE.match(e["occurred_at"])
        assert WINDOW_START <= ts(e["occurred_at"]) < WINDOW_END
    kinds = Counter(e["event_type"] for e in events)
    assert set(kinds) == EVENT_TYPES
    tasks = {r["task_id"] for r in ndjson(out / "task_executions.jsonl")}
    assert 0.15 < kinds["task_created"] / len(tasks) < 0.35
    users = Counter((e["tenant_id"], e["user_id"]) for e in events)
    assert len(users) > len(tenants)


def test_tenants_are_opaque_with_plans_and_defaults(clean):
    out, _ = clean
    rows = csv_rows(out / "tenants.csv")
    assert list(rows[0]) == ["tenant_id", "default_provider", "default_model", "plan", "created_at"]
    pricing = csv_rows(out / "provider_pricing.csv")
    for row in rows:
        assert re.match(r"^tenant_\d{4}$", row["tenant_id"])
        assert row["plan"] in {"free", "pro", "enterprise"}
        assert ts(row["created_at"]) < WINDOW_START
        assert any(p["provider"] == row["default_provider"] for p in pricing)
        if row["default_model"]:
            assert (
                any(
                    (p["provider"], p["model"]) == (row["default_provider"], row["default_model"])
                    for p in pricing
                )
                or row["default_provider"] == "github_copilot"
            )


def test_price_list_is_exact_with_history_and_a_change_inside_the_window(clean):
    out, _ = clean
    rows = csv_rows(out / "provider_pricing.csv")
    providers = {r["provider"] for r in rows}
    assert {"openai", "anthropic", "google", "github_copilot"} <= providers
    assert len(providers) >= 5
    rate_columns = [c for c in rows[0] if c.endswith(("_per_token", "_per_minute", "_request"))]
    for row in rows:
        assert row["pricing_model"] in {"token", "time", "request", "hybrid"}
        assert row["currency"] == "USD"
        for column in rate_columns:
            assert row[column] == "" or DECIMAL_RE.match(row[column]), (column, row[column])
        if row["effective_until"]:
            assert ts(row["effective_from"]) < ts(row["effective_until"])
    assert any(r["pricing_model"] == "request" and r["cost_per_request"] for r in rows)
    assert any(r["provider"] == "github_copilot" and r["model"] == "" for r in rows)
    assert {r["pricing_tier"] for r in rows} == {"standard", "enterprise"}
    assert any(r["cache_write_cost_per_token"] for r in rows)
    assert min(ts(r["effective_from"]) for r in rows) < WINDOW_START - timedelta(days=180)
    changes = [
        (old, new)
        for old in rows
        for new in rows
        if old["effective_until"]
        and WINDOW_START < ts(old["effective_until"]) < WINDOW_END
        and (new["provider"], new["model"], new["pricing_tier"])
        == (old["provider"], old["model"], old["pricing_tier"])
        and new["effective_from"] == old["effective_until"]
    ]
    assert changes
    old, new = changes[0]
    assert Decimal(new["input_cost_per_token"]) < Decimal(old["input_cost_per_token"])


def _price(rows: list[dict[str, str]], provider: str, model: str, tier: str, at: datetime) -> dict:
    for key in ((model, tier), (model, "standard"), ("", tier), ("", "standard")):
        for row in rows:
            if (row["provider"], row["model"], row["pricing_tier"]) != (provider, *key):
                continue
            until = ts(row["effective_until"]) if row["effective_until"] else None
            if ts(row["effective_from"]) <= at and (until is None or at < until):
                return row
    raise AssertionError(f"no price for {provider} {model} at {at}")


def _rate(row: dict[str, str], column: str, fallback: Decimal) -> Decimal:
    return Decimal(row[column]) if row[column] else fallback


def test_reported_cost_matches_the_price_list(clean):
    out, _ = clean
    rows = csv_rows(out / "provider_pricing.csv")
    checked = 0
    for r in ndjson(out / "task_executions.jsonl"):
        if "cost_actual" not in r or "input_tokens" not in r or r["status"] != "completed":
            continue
        tier = r.get("pricing_tier", "standard")
        price = _price(rows, r["provider_used"], r["model"], tier, ts(r["timestamp_start"]))
        zero = Decimal(0)
        rate_in = _rate(price, "input_cost_per_token", zero)
        fresh = r["input_tokens"] - r["cache_read_tokens"] - r["cache_write_tokens"]
        expected = (
            fresh * rate_in
            + r["cache_read_tokens"] * _rate(price, "cache_read_cost_per_token", rate_in)
            + r["cache_write_tokens"] * _rate(price, "cache_write_cost_per_token", rate_in)
            + r["output_tokens"] * _rate(price, "output_cost_per_token", zero)
            + _rate(price, "cost_per_request", zero)
            + _rate(price, "cost_per_minute", zero)
            * ms_between(r["timestamp_start"], r["timestamp_end"])
            / 60_000
        )
        assert abs(Decimal(str(r["cost_actual"])) - expected) <= Decimal("1e-9"), r
        checked += 1
    assert checked > 100


def test_window_before_the_price_list_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="end_date"):
        run(tmp_path, end_date=date(2024, 1, 10))


def test_uuid_and_money_helpers():
    rng = random.Random(1)
    for _ in range(200):
        bits = rng.getrandbits(128)
        assert uuid4_from_bits(bits) == str(uuid.UUID(int=bits, version=4))
    assert usd_text(0) == "0.0"
    assert usd_text(40_000_000_000) == "0.04"
    assert usd_text(375_000_000) == "0.000375"
    assert usd_text(1_499) == "0.000000001"
    assert usd_text(1_500) == "0.000000002"
    assert usd_text(12_345_678_901_234_567) == "12345.678901235"


# --- faults -----------------------------------------------------------------------------


def _lines(result: GenerateResult, stream: str) -> list[bytes]:
    return [line for p in result.files[stream] for line in read_bytes(p).split(b"\n")[:-1]]


def _classify(lines: list[bytes]) -> tuple[Counter, list[dict], list[bytes]]:
    """Count malformed kinds; return parsed objects and their raw lines."""
    kinds: Counter = Counter()
    objects: list[dict] = []
    raw: list[bytes] = []
    for line in lines:
        if not line:
            kinds["empty_line"] += 1
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            kinds["invalid_utf8"] += 1
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            kinds["truncated_json"] += 1
            continue
        if isinstance(value, list):
            kinds["json_array"] += 1
        else:
            objects.append(value)
            raw.append(line)
    return kinds, objects, raw


def _duplicates(objects: list[dict], raw: list[bytes]) -> Counter:
    kinds: Counter = Counter()
    seen: dict[str, bytes] = {}
    for obj, line in zip(objects, raw, strict=True):
        if obj["id"] in seen:
            kinds["duplicate_exact" if seen[obj["id"]] == line else "duplicate_updated"] += 1
        seen[obj["id"]] = line
    return kinds


def _task_value_faults(tasks: list[dict]) -> Counter:
    kinds: Counter = Counter()
    for r in tasks:
        kinds["unknown_task_type"] += r["task_type"] == "code_golf"
        kinds["unknown_status"] += r["status"] == "done"
        kinds["unknown_provider"] += r["provider_used"] == "acme_llm"
        kinds["invalid_cost"] += r.get("cost_actual") == "12.3.4"
        kinds["privacy_metadata"] += "author_email" in r["metadata"] or "file_path" in r["metadata"]
        message = r.get("error_message", "")
        kinds["privacy_error_message"] += bool(re.search(r"sk-|/Users/|/home/", message))
        if "input_tokens" in r:
            kinds["negative_tokens"] += r["output_tokens"] < 0
            kinds["cache_exceeds_input"] += r["cache_read_tokens"] > r["input_tokens"]
        else:
            kinds["negative_tokens"] += r["tokens_used"] < 0
        start, end = r["timestamp_start"], r["timestamp_end"]
        if TS_RE.match(start) and TS_RE.match(end):
            kinds["end_before_start"] += ts(end) < ts(start)
            if "duration_ms" in r and ts(end) >= ts(start):
                kinds["duration_mismatch"] += abs(r["duration_ms"] - ms_between(start, end)) > 1000
    return kinds


def test_faults_are_counted_and_present(faulty):
    out, result = faulty
    found: Counter = Counter()
    total_lines = 0
    streams = {
        "task_executions": "timestamp_start",
        "routing_decisions": "decided_at",
        "usage_events": "occurred_at",
    }
    for stream, time_field in streams.items():
        lines = _lines(result, stream)
        assert result.counts[stream] == len(lines)
        total_lines += len(lines)
        kinds, objects, raw = _classify(lines)
        found += kinds
        found += _duplicates(objects, raw)
        for obj in objects:
            found["missing_tenant_id"] += "tenant_id" not in obj
            found["malformed_uuid"] += not UUID_RE.match(obj["id"])
            found["malformed_timestamp"] += "-13-45T99" in obj[time_field]
            found["timestamp_without_offset"] += len(obj[time_field]) == 23
        if stream == "task_executions":
            found += _task_value_faults(objects)
    late = ndjson(out / "task_executions_late.jsonl")
    found["late_arrival"] = len(late)
    with (out / "tenants.csv").open(encoding="utf-8", newline="") as handle:
        found["csv_wrong_field_count"] = sum(len(row) != 5 for row in csv.reader(handle))

    assert +found == result.faults
    assert len(result.faults) == 22  # every kind shows up at this size
    ndjson_faults = sum(result.faults.values()) - result.faults["csv_wrong_field_count"]
    assert 0.005 < ndjson_faults / total_lines < 0.02
    for r in late:
        assert r.keys() >= TASK_REQUIRED
        assert ts(r["timestamp_start"]) < datetime(2026, 11, 23, tzinfo=UTC)
    assert [p.name for p in result.files["task_executions"]] == [
        "task_executions.jsonl",
        "task_executions_late.jsonl",
    ]


def test_faults_leave_the_clean_records_untouched(tmp_path, faulty):
    _, result = faulty
    plain = run(tmp_path, executions=6_000)
    clean_lines = set(_lines(plain, "routing_decisions"))
    _, objects, raw = _classify(_lines(result, "routing_decisions"))
    valid = [
        line
        for obj, line in zip(objects, raw, strict=True)
        if "tenant_id" in obj and UUID_RE.match(obj["id"]) and TS_RE.match(obj["decided_at"])
    ]
    assert len(valid) > 0.98 * len(clean_lines)
    assert set(valid) <= clean_lines


def test_a_window_ending_today_writes_nothing_after_now(tmp_path):
    """The demo generates up to today: nothing may start or end in the future (the warehouse
    rejects future timestamps), and the requested number of executions is still written."""
    before = datetime.now(UTC)
    result = generate(
        GenerateOptions(out_dir=tmp_path, tenants=3, days=2, executions=3_000, seed=9)
    )
    after = datetime.now(UTC)
    moments = []
    for name, fields in (
        ("task_executions", ("timestamp_start", "timestamp_end")),
        ("usage_events", ("occurred_at",)),
    ):
        for line in (tmp_path / f"{name}.jsonl").read_bytes().splitlines():
            record = orjson.loads(line)
            moments += [datetime.fromisoformat(record[field]) for field in fields]
    assert max(moments) < after
    assert min(moments).date() >= (before - timedelta(days=1)).date()
    assert result.counts["task_executions"] == 3_000


def test_a_window_in_the_future_is_refused(tmp_path):
    with pytest.raises(ValueError, match="in the future"):
        generate(
            GenerateOptions(
                out_dir=tmp_path, days=1, end_date=datetime.now(UTC).date() + timedelta(days=2)
            )
        )


def _records(out: Path, stream: str) -> list[dict[str, Any]]:
    path = out / f"{stream}.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_a_span_adds_the_next_hour_with_the_same_tenants_and_prices(tmp_path, clean):
    """`--start/--end`: exactly --executions tasks starting in the half-open span, with the
    window's tenants and price list, new ids, and no reference files of its own."""
    base_dir, _ = clean
    span_dir = tmp_path / "next_hour"
    result = run(span_dir, executions=300, start=WINDOW_END, end=WINDOW_END + timedelta(hours=1))

    assert sorted(path.name for path in span_dir.iterdir()) == [
        "routing_decisions.jsonl",
        "task_executions.jsonl",
        "usage_events.jsonl",
    ]
    tasks = _records(span_dir, "task_executions")
    assert result.counts["task_executions"] == len(tasks) == 300
    starts = [datetime.fromisoformat(task["timestamp_start"]) for task in tasks]
    assert min(starts) >= WINDOW_END and max(starts) < WINDOW_END + timedelta(hours=1)
    events = [datetime.fromisoformat(e["occurred_at"]) for e in _records(span_dir, "usage_events")]
    assert events
    assert min(events) >= WINDOW_END and max(events) < WINDOW_END + timedelta(hours=1)

    with (base_dir / "tenants.csv").open() as handle:
        tenants = {row["tenant_id"] for row in csv.DictReader(handle)}
    with (base_dir / "provider_pricing.csv").open() as handle:
        priced = {row["provider"] for row in csv.DictReader(handle)}
    base_tasks = _records(base_dir, "task_executions")
    assert {task["tenant_id"] for task in tasks} <= tenants
    assert {task["provider_used"] for task in tasks} <= priced
    assert {task["model"] for task in tasks} <= {task["model"] for task in base_tasks}
    base_ids = {task["id"] for task in base_tasks}
    assert not base_ids & {task["id"] for task in tasks}
    decisions = _records(span_dir, "routing_decisions")
    assert {d["task_execution_id"] for d in decisions} <= {task["id"] for task in tasks}


def test_a_span_is_deterministic_and_two_spans_share_no_ids(tmp_path):
    hour = timedelta(hours=1)
    first = run(tmp_path / "a", executions=200, start=WINDOW_END, end=WINDOW_END + hour)
    again = run(tmp_path / "b", executions=200, start=WINDOW_END, end=WINDOW_END + hour)
    later = run(tmp_path / "c", executions=200, start=WINDOW_END + hour, end=WINDOW_END + 2 * hour)
    for stream, paths in first.files.items():
        assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again.files[stream]]
    ids = {task["id"] for task in _records(tmp_path / "a", "task_executions")}
    assert not ids & {task["id"] for task in _records(tmp_path / "c", "task_executions")}
    assert later.counts["task_executions"] == 200


def test_a_span_reaching_past_now_writes_nothing_after_now(tmp_path):
    now = datetime.now(UTC)
    run(
        tmp_path,
        end_date=now.date(),
        executions=500,
        start=now - timedelta(minutes=30),
        end=now + timedelta(hours=2),
    )
    after = datetime.now(UTC)
    tasks = _records(tmp_path, "task_executions")
    assert len(tasks) == 500
    assert max(datetime.fromisoformat(t["timestamp_end"]) for t in tasks) < after


@pytest.mark.parametrize(
    ("span", "message"),
    [
        ({"start": WINDOW_END}, "--start and --end go together"),
        ({"start": WINDOW_END, "end": WINDOW_END}, "--start must be before --end"),
        ({"start": WINDOW_END.replace(tzinfo=None), "end": WINDOW_END}, "time zone"),
        (
            {
                "start": datetime.now(UTC) + timedelta(days=1),
                "end": datetime.now(UTC) + timedelta(days=2),
            },
            "in the future",
        ),
    ],
)
def test_a_wrong_span_is_refused(tmp_path, span, message):
    with pytest.raises(ValueError, match=message):
        run(tmp_path, **span)
    assert not list(tmp_path.glob("*.jsonl"))
