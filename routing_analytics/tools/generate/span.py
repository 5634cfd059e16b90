"""A span inside or after a data set's window (`generate --start --end`): when its tasks start.

The span's executions follow the same patterns as a whole window: each tenant's share by its
size, each local hour by HOUR_WEIGHTS and each local weekday by WEEKDAY_FACTOR. The span is
cut into half-hour pieces (every tenant offset is a whole number of half hours), so a piece
lies in one local hour of every tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from random import Random

from routing_analytics.tools.generate.catalog import HOUR_WEIGHTS, WEEKDAY_FACTOR
from routing_analytics.tools.generate.tenants import Tenant, allocate
from routing_analytics.tools.generate.timefmt import DAY_MS, HOUR_MS

PIECE_MS = HOUR_MS // 2
# 1970-01-01 was a Thursday: weekday() of an epoch day number.
_EPOCH_WEEKDAY = 3


@dataclass(frozen=True)
class Span:
    """Half-open [start_ms, end_ms) in epoch milliseconds, already cut at the current time."""

    start_ms: int
    end_ms: int

    @classmethod
    def of(cls, start: datetime, end: datetime, now: datetime) -> Span:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("--start and --end need a time zone (RFC 3339, e.g. ...Z)")
        if start >= end:
            raise ValueError("--start must be before --end")
        cut = min(end, now.astimezone(UTC))
        if start >= cut:
            raise ValueError(f"the span starts at {start.isoformat()}, in the future")
        return cls(_epoch_ms(start), _epoch_ms(cut))

    def pieces(self) -> list[tuple[int, int]]:
        """The span cut at every half hour."""
        cuts = range(self.start_ms // PIECE_MS * PIECE_MS + PIECE_MS, self.end_ms, PIECE_MS)
        edges = [self.start_ms, *cuts, self.end_ms]
        return list(pairwise(edges))


def span_slots(
    rng: Random, span: Span, tenants: list[Tenant], executions: int
) -> list[tuple[int, int]]:
    """Sorted (start_ms, tenant index) pairs: executions starts spread over the span."""
    pieces = span.pieces()
    weights = [
        tenant.weight * _local_intensity(piece_start, tenant) * (piece_end - piece_start)
        for piece_start, piece_end in pieces
        for tenant in tenants
    ]
    counts = allocate(executions, weights)
    slots: list[tuple[int, int]] = []
    rand = rng.random
    for cell, count in enumerate(counts):
        piece_index, tenant_index = divmod(cell, len(tenants))
        piece_start, piece_end = pieces[piece_index]
        slots.extend(
            (piece_start + int(rand() * (piece_end - piece_start)), tenant_index)
            for _ in range(count)
        )
    slots.sort()
    return slots


def _local_intensity(instant_ms: int, tenant: Tenant) -> float:
    local_ms = instant_ms + tenant.utc_offset_min * 60_000
    local_day, in_day_ms = divmod(local_ms, DAY_MS)
    weekday = (local_day + _EPOCH_WEEKDAY) % 7
    return HOUR_WEIGHTS[in_day_ms // HOUR_MS] * WEEKDAY_FACTOR[weekday]


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
