"""One spec per input stream: its raw table, the contract's fields and the accepted formats."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from routing_analytics.platform.errors import UserError

JSON_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
CSV_SUFFIXES = (".csv", ".csv.gz")


@dataclass(frozen=True)
class StreamSpec:
    name: str
    fields: frozenset[str]
    free_form_objects: tuple[str, ...] = ()
    # Free-text identifiers: a sensitive value is replaced by REDACTED_IDENTIFIER at the edge
    # and the record rejected by staging (sensitive_<field>).
    identifier_fields: tuple[str, ...] = ()
    csv_allowed: bool = False
    csv_required_columns: tuple[str, ...] = ()
    # CSV columns that must hold a plain decimal number (or nothing): `load` warns about any
    # other value, with its line; staging rejects the record, as the data contract says.
    csv_number_columns: frozenset[str] = frozenset()

    @property
    def table(self) -> str:
        return self.name


# The rates of a price record, in the order of the contract's CSV columns.
PRICE_RATE_FIELDS: tuple[str, ...] = (
    "cost_per_token",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_cost_per_token",
    "cache_write_cost_per_token",
    "cost_per_minute",
    "cost_per_request",
)

ROUTING_DECISION_FIELDS = frozenset(
    {
        "id",
        "task_execution_id",
        "tenant_id",
        "provider_selected",
        "routing_reason",
        "decided_at",
        "providers_evaluated",
        "cost_estimates",
        "routing_strategy",
        "user_preferences",
    }
)

STREAMS: dict[str, StreamSpec] = {
    spec.name: spec
    for spec in (
        StreamSpec(
            name="task_executions",
            fields=frozenset(
                {
                    "id",
                    "tenant_id",
                    "task_id",
                    "agent_id",
                    "task_type",
                    "timestamp_start",
                    "timestamp_end",
                    "duration_ms",
                    "provider_used",
                    "model",
                    "pricing_tier",
                    "provider_account_id",
                    "tokens_used",
                    "input_tokens",
                    "output_tokens",
                    "cache_read_tokens",
                    "cache_write_tokens",
                    "cost_actual",
                    "cost_baseline",
                    "status",
                    "error_message",
                    "language",
                    "complexity",
                    "quality_score",
                    "metadata",
                    "routing_decision",
                }
            ),
            free_form_objects=("metadata",),
            identifier_fields=("task_id", "agent_id", "provider_account_id", "language", "model"),
        ),
        StreamSpec(
            name="routing_decisions",
            fields=ROUTING_DECISION_FIELDS,
            free_form_objects=("user_preferences",),
            identifier_fields=("routing_strategy",),
        ),
        StreamSpec(
            name="provider_pricing",
            fields=frozenset(
                {
                    "provider",
                    "model",
                    "pricing_tier",
                    "pricing_model",
                    *PRICE_RATE_FIELDS,
                    "currency",
                    "effective_from",
                    "effective_until",
                    "source_url",
                }
            ),
            csv_allowed=True,
            csv_required_columns=("provider", "pricing_model", "effective_from"),
            csv_number_columns=frozenset(PRICE_RATE_FIELDS),
        ),
        StreamSpec(
            name="usage_events",
            fields=frozenset({"id", "tenant_id", "user_id", "event_type", "occurred_at"}),
        ),
        StreamSpec(
            name="tenants",
            fields=frozenset(
                {"tenant_id", "default_provider", "default_model", "plan", "created_at"}
            ),
            csv_allowed=True,
            csv_required_columns=("tenant_id", "default_provider", "plan"),
        ),
    )
}


def file_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(JSON_SUFFIXES):
        return "ndjson"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    raise UserError(
        f"{path.name}: unknown file type; expected one of "
        + ", ".join(JSON_SUFFIXES + CSV_SUFFIXES)
    )


def stream_for(path: Path, explicit: str | None) -> StreamSpec:
    """The stream named on the command line, else the one the file name starts with."""
    if explicit is not None:
        if explicit not in STREAMS:
            raise UserError(f"unknown stream {explicit!r}; known: {', '.join(STREAMS)}")
        spec = STREAMS[explicit]
    else:
        matches = [name for name in STREAMS if path.name.lower().startswith(name)]
        if not matches:
            raise UserError(
                f"{path.name}: cannot tell the stream from the file name; name it "
                f"<stream>*.jsonl or pass --stream (one of {', '.join(STREAMS)})"
            )
        spec = STREAMS[max(matches, key=len)]
    if file_format(path) == "csv" and not spec.csv_allowed:
        raise UserError(f"{path.name}: stream {spec.name} accepts NDJSON only, not CSV")
    return spec
