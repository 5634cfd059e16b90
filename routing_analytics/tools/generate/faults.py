"""Realistic faults injected into the NDJSON streams, each counted by kind.

Every faulty line carries exactly one kind, so the counts can be checked line by line:
- corruption replaces a record's line (truncated_json, json_array, invalid_utf8);
- extra lines are added next to a clean record (empty_line, duplicate_exact,
  duplicate_updated - the latter appears a little later in the file);
- value faults change one field of a record that is otherwise valid.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from random import Random
from typing import Any

import orjson

from routing_analytics.tools.generate.catalog import PRIVACY_BAIT_ERRORS, PRIVACY_BAIT_METADATA
from routing_analytics.tools.generate.sink import LineSink

Record = dict[str, Any]

TIME_FIELD: dict[str, str] = {
    "task_executions": "timestamp_start",
    "routing_decisions": "decided_at",
    "usage_events": "occurred_at",
}
COMMON_KINDS: tuple[str, ...] = (
    "truncated_json",
    "json_array",
    "invalid_utf8",
    "empty_line",
    "duplicate_exact",
    "malformed_uuid",
    "malformed_timestamp",
    "timestamp_without_offset",
    "missing_tenant_id",
)
TASK_KINDS: tuple[str, ...] = (
    *COMMON_KINDS,
    "duplicate_updated",
    "unknown_task_type",
    "unknown_status",
    "unknown_provider",
    "end_before_start",
    "negative_tokens",
    "cache_exceeds_input",
    "invalid_cost",
    "duration_mismatch",
    "privacy_metadata",
    "privacy_error_message",
)
# Per-record fault probability by stream; together with late arrivals about 1 % of lines.
FAULT_RATE: dict[str, float] = {
    "task_executions": 0.012,
    "routing_decisions": 0.006,
    "usage_events": 0.006,
}
LATE_KIND = "late_arrival"
CSV_KIND = "csv_wrong_field_count"


class FaultInjector:
    """Writes records to sinks, corrupting a small random share of them when enabled."""

    def __init__(self, rng: Random, enabled: bool) -> None:
        self.enabled = enabled
        self.counts: dict[str, int] = {}
        self._rng = rng
        self._unused: list[str] = list(TASK_KINDS)
        self._seen: dict[str, int] = {}
        # stream -> [(record number after which to write, line)] for delayed re-sends
        self._delayed: dict[str, list[tuple[int, bytes]]] = {}
        self._value_faults: dict[str, Callable[[str, Record], bool]] = {
            "malformed_uuid": self._malformed_uuid,
            "malformed_timestamp": self._malformed_timestamp,
            "timestamp_without_offset": self._timestamp_without_offset,
            "missing_tenant_id": self._missing_tenant_id,
            "unknown_task_type": self._unknown_task_type,
            "unknown_status": self._unknown_status,
            "unknown_provider": self._unknown_provider,
            "end_before_start": self._end_before_start,
            "negative_tokens": self._negative_tokens,
            "cache_exceeds_input": self._cache_exceeds_input,
            "invalid_cost": self._invalid_cost,
            "duration_mismatch": self._duration_mismatch,
            "privacy_metadata": self._privacy_metadata,
            "privacy_error_message": self._privacy_error_message,
        }

    def count(self, kind: str, lines: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + lines

    def emit(self, stream: str, sink: LineSink, record: Record, cost_text: str = "") -> None:
        """Write record (possibly faulted); cost_text is the true cost, for updated re-sends."""
        if not self.enabled:
            sink.write(orjson.dumps(record))
            return
        seen = self._seen.get(stream, 0) + 1
        self._seen[stream] = seen
        if self._rng.random() < FAULT_RATE[stream]:
            self._emit_faulty(stream, sink, record, cost_text, seen)
        else:
            sink.write(orjson.dumps(record))
        delayed = self._delayed.get(stream)
        while delayed and delayed[0][0] <= seen:
            sink.write(delayed.pop(0)[1])

    def finish(self, stream: str, sink: LineSink) -> None:
        """Write re-sends still waiting when the stream ends."""
        for _, line in self._delayed.pop(stream, []):
            sink.write(line)

    def _pick(self, stream: str) -> str:
        kinds = TASK_KINDS if stream == "task_executions" else COMMON_KINDS
        # Cover every kind once before sampling freely, so small runs still show them all.
        fresh = [k for k in self._unused if k in kinds]
        kind = fresh[0] if fresh else self._rng.choice(kinds)
        if kind in self._unused:
            self._unused.remove(kind)
        return kind

    def _delay(self, stream: str, seen: int, line: bytes) -> None:
        due = seen + self._rng.randint(1, 40)
        queue = self._delayed.setdefault(stream, [])
        queue.append((due, line))
        queue.sort(key=lambda item: item[0])

    def _emit_faulty(
        self, stream: str, sink: LineSink, record: Record, cost_text: str, seen: int
    ) -> None:
        for _ in range(8):
            kind = self._pick(stream)
            fault = self._value_faults.get(kind)
            if fault is not None:
                if not fault(stream, record):
                    continue
                sink.write(orjson.dumps(record))
            else:
                line = orjson.dumps(record)
                if kind == "truncated_json":
                    sink.write(line[: int(len(line) * self._rng.uniform(0.3, 0.9))])
                elif kind == "json_array":
                    sink.write(b"[" + line + b"]")
                elif kind == "invalid_utf8":
                    # A client that re-encoded the payload behind a UTF-16 byte-order mark.
                    sink.write(b"\xff\xfe" + line)
                elif kind == "empty_line":
                    sink.write(line)
                    sink.write(b"")
                elif kind == "duplicate_exact":
                    sink.write(line)
                    self._delay(stream, seen, line)
                else:  # duplicate_updated
                    sink.write(line)
                    self._delay(stream, seen, orjson.dumps(self._updated(record, cost_text)))
            self.count(kind)
            return
        sink.write(orjson.dumps(record))

    def _updated(self, record: Record, cost_text: str) -> Record:
        """The same execution re-sent after the provider reconciled its cost and final state."""
        updated = dict(record)
        cost = Decimal(cost_text or "0") * Decimal(self._rng.choice(("1.05", "1.1", "0.95")))
        updated["cost_actual"] = format(cost.quantize(Decimal("1e-9")).normalize(), "f")
        if updated.get("status") == "timeout":
            updated["status"] = "failed"
        elif updated.get("status") == "completed":
            updated["quality_score"] = round(self._rng.uniform(40.0, 100.0), 1)
        return updated

    def _malformed_uuid(self, _stream: str, record: Record) -> bool:
        record["id"] = str(record["id"])[:23]
        return True

    def _malformed_timestamp(self, stream: str, record: Record) -> bool:
        field = TIME_FIELD[stream]
        record[field] = f"{str(record[field])[:4]}-13-45T99:00:00Z"
        return True

    def _timestamp_without_offset(self, stream: str, record: Record) -> bool:
        field = TIME_FIELD[stream]
        record[field] = str(record[field])[:23]
        return True

    def _missing_tenant_id(self, _stream: str, record: Record) -> bool:
        del record["tenant_id"]
        return True

    def _unknown_task_type(self, _stream: str, record: Record) -> bool:
        record["task_type"] = "code_golf"
        return True

    def _unknown_status(self, _stream: str, record: Record) -> bool:
        record["status"] = "done"
        record.pop("error_message", None)
        return True

    def _unknown_provider(self, _stream: str, record: Record) -> bool:
        record["provider_used"] = "acme_llm"
        record["model"] = "acme-coder-1"
        record["provider_account_id"] = "acct_acme_llm_01"
        record.pop("routing_decision", None)
        record.pop("pricing_tier", None)
        return True

    def _end_before_start(self, _stream: str, record: Record) -> bool:
        if record["timestamp_start"] == record["timestamp_end"]:
            return False
        record["timestamp_start"], record["timestamp_end"] = (
            record["timestamp_end"],
            record["timestamp_start"],
        )
        record.pop("duration_ms", None)
        return True

    def _negative_tokens(self, _stream: str, record: Record) -> bool:
        if "output_tokens" in record:
            output = -(int(record["output_tokens"]) or 17)
            record["output_tokens"] = output
            record["tokens_used"] = int(record["input_tokens"]) + output
        else:
            record["tokens_used"] = -(int(record["tokens_used"]) or 17)
        return True

    def _cache_exceeds_input(self, _stream: str, record: Record) -> bool:
        if "input_tokens" not in record:
            return False
        record["cache_read_tokens"] = int(record["input_tokens"]) + self._rng.randint(1, 900)
        return True

    def _invalid_cost(self, _stream: str, record: Record) -> bool:
        record["cost_actual"] = "12.3.4"
        return True

    def _duration_mismatch(self, _stream: str, record: Record) -> bool:
        duration = record.get("duration_ms")
        if duration is None:
            return False
        shift = self._rng.randint(1_001, 9_000)
        # Only shrink when the result stays positive; a negative duration is another fault.
        record["duration_ms"] = duration - shift if duration > shift else duration + shift
        return True

    def _privacy_metadata(self, _stream: str, record: Record) -> bool:
        metadata = dict(record.get("metadata") or {})
        metadata.update(self._rng.choice(PRIVACY_BAIT_METADATA))
        record["metadata"] = metadata
        return True

    def _privacy_error_message(self, _stream: str, record: Record) -> bool:
        if record.get("status") not in ("failed", "timeout"):
            record["status"] = "failed"
        record["error_message"] = self._rng.choice(PRIVACY_BAIT_ERRORS)
        return True
