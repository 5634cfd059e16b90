"""Packaged price list, the in-window price change, and fast cost arithmetic.

Prices are kept as Decimal in the CSVs and as integer pico-dollars (1e-12 USD) in the hot
path: every packaged rate is a whole number of pico-dollars, so costs stay exact without
paying for Decimal arithmetic on each of several hundred thousand records.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from loader.streams import PRICE_RATE_FIELDS
from routing_analytics.tools.generate.catalog import PRICE_CUT_CANDIDATES
from routing_analytics.tools.generate.timefmt import rfc3339_seconds

PRICE_COLUMNS: tuple[str, ...] = (
    "provider",
    "model",
    "pricing_tier",
    "pricing_model",
    *PRICE_RATE_FIELDS,
    "currency",
    "effective_from",
    "effective_until",
    "source_url",
)
_RATE_COLUMNS: tuple[str, ...] = PRICE_RATE_FIELDS
PICO = 10**12
# The in-window change is a 20 % price cut, the usual direction of LLM price moves.
PRICE_CUT_FACTOR = Decimal("0.8")


@dataclass(frozen=True)
class PriceRow:
    """One row of provider_pricing; rates are USD and None where the CSV cell is empty."""

    provider: str
    model: str
    pricing_tier: str
    pricing_model: str
    rates: tuple[Decimal | None, ...]  # in _RATE_COLUMNS order
    currency: str
    effective_from: datetime
    effective_until: datetime | None
    source_url: str

    def covers(self, moment: datetime) -> bool:
        """True when the row is in effect at moment (effective_until is exclusive)."""
        return self.effective_from <= moment and (
            self.effective_until is None or moment < self.effective_until
        )


class Rates(NamedTuple):
    """Integer pico-dollar rates of one price row; None where the row has no such rate."""

    pricing_model: str
    per_token: int | None
    input: int | None
    output: int | None
    cache_read: int | None
    cache_write: int | None
    per_minute: int | None
    per_request: int | None


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _parse_rate(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _rate_text(value: Decimal | None) -> str:
    # Format "f" never falls back to scientific notation, unlike str(Decimal).
    return "" if value is None else format(value.normalize(), "f")


def read_price_list(path: Path | None = None) -> list[PriceRow]:
    """Read the packaged price list (or another file with the same columns)."""
    if path is None:
        text = (
            resources.files("routing_analytics.tools.generate")
            .joinpath("price_list.csv")
            .read_text("utf-8")
        )
    else:
        text = path.read_text("utf-8")
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != PRICE_COLUMNS:
        raise ValueError(f"price list columns {reader.fieldnames} differ from {PRICE_COLUMNS}")
    return [
        PriceRow(
            provider=row["provider"],
            model=row["model"],
            pricing_tier=row["pricing_tier"],
            pricing_model=row["pricing_model"],
            rates=tuple(_parse_rate(row[name]) for name in _RATE_COLUMNS),
            currency=row["currency"],
            effective_from=_parse_time(row["effective_from"]),
            effective_until=_parse_time(row["effective_until"]) if row["effective_until"] else None,
            source_url=row["source_url"],
        )
        for row in reader
    ]


def write_price_csv(rows: list[PriceRow], path: Path) -> int:
    """Write provider_pricing.csv; returns the number of data rows."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PRICE_COLUMNS)
        for row in rows:
            writer.writerow(
                (
                    row.provider,
                    row.model,
                    row.pricing_tier,
                    row.pricing_model,
                    *(_rate_text(rate) for rate in row.rates),
                    row.currency,
                    rfc3339_seconds(row.effective_from),
                    rfc3339_seconds(row.effective_until) if row.effective_until else "",
                    row.source_url,
                )
            )
    return len(rows)


def price_change_instant(window_start: datetime, days: int) -> datetime:
    """Midnight of the window's middle day; noon when the window is a single day."""
    if days < 2:
        return window_start + timedelta(hours=12)
    return window_start + timedelta(days=days // 2)


def add_window_price_cut(
    rows: list[PriceRow], window_start: datetime, window_end: datetime, days: int
) -> tuple[list[PriceRow], tuple[str, str] | None]:
    """Split one model's standard row with a price cut inside the window.

    Returns the new row list and the (provider, model) that changed, or None when no
    candidate is priced across the whole window.
    """
    change_at = price_change_instant(window_start, days)
    for provider, model in PRICE_CUT_CANDIDATES:
        mine = [
            i
            for i, row in enumerate(rows)
            if (row.provider, row.model, row.pricing_tier) == (provider, model, "standard")
        ]
        at_start = [i for i in mine if rows[i].covers(window_start)]
        at_change = [i for i in mine if rows[i].covers(change_at)]
        if not at_start or not at_change or not any(rows[i].covers(window_end) for i in mine):
            continue
        index = at_change[0]
        old = rows[index]
        cut = tuple(
            None if rate is None else (rate * PRICE_CUT_FACTOR).quantize(Decimal("1e-12"))
            for rate in old.rates
        )
        before = replace(old, effective_until=change_at)
        after = replace(old, rates=cut, effective_from=change_at)
        return [*rows[:index], before, after, *rows[index + 1 :]], (provider, model)
    return list(rows), None


def _to_pico(value: Decimal | None) -> int | None:
    if value is None:
        return None
    scaled = value * PICO
    if scaled != scaled.to_integral_value():
        raise ValueError(f"rate {value} is finer than 1e-12 USD")
    return int(scaled)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


_FAR_FUTURE_MS = 2**62


class PriceBook:
    """Resolves the rates for (provider, model, tier) at an instant, like the warehouse would.

    Resolution order: the model's row for the tier, the model's standard row, the provider-wide
    row (empty model) for the tier, the provider-wide standard row.
    """

    def __init__(self, rows: list[PriceRow]) -> None:
        self._rows: dict[tuple[str, str, str], list[tuple[int, int, Rates]]] = {}
        for row in rows:
            pico = [_to_pico(rate) for rate in row.rates]
            rates = Rates(row.pricing_model, *pico)
            until = _epoch_ms(row.effective_until) if row.effective_until else _FAR_FUTURE_MS
            key = (row.provider, row.model, row.pricing_tier)
            self._rows.setdefault(key, []).append((_epoch_ms(row.effective_from), until, rates))
        for periods in self._rows.values():
            periods.sort(key=lambda period: period[0])
        self._chains: dict[tuple[str, str, str], list[list[tuple[int, int, Rates]]]] = {}

    def _chain(self, provider: str, model: str, tier: str) -> list[list[tuple[int, int, Rates]]]:
        key = (provider, model, tier)
        chain = self._chains.get(key)
        if chain is None:
            candidates = [
                (provider, model, tier),
                (provider, model, "standard"),
                (provider, "", tier),
                (provider, "", "standard"),
            ]
            chain = [self._rows[c] for c in dict.fromkeys(candidates) if c in self._rows]
            self._chains[key] = chain
        return chain

    def rates(self, provider: str, model: str, tier: str, ms: int) -> Rates | None:
        """Rates in effect at ms, or None when nothing prices that model then."""
        for periods in self._chain(provider, model, tier):
            for start, until, rates in reversed(periods):
                if start <= ms < until:
                    return rates
        return None

    def covers(self, provider: str, model: str, tier: str, start_ms: int, end_ms: int) -> bool:
        """True when a price resolves at every instant of [start_ms, end_ms)."""
        points = {start_ms, end_ms - 1}
        for periods in self._chain(provider, model, tier):
            for start, until, _ in periods:
                points.update(p for p in (start, until) if start_ms <= p < end_ms)
        return all(self.rates(provider, model, tier, p) is not None for p in sorted(points))


def cost_pico(
    rates: Rates,
    input_tokens: int,
    output_tokens: int,
    cache_read: int,
    cache_write: int,
    duration_ms: int,
) -> int:
    """Cost in pico-dollars; cache rates fall back to the input rate when a row has none."""
    total = 0
    in_rate = rates.input if rates.input is not None else rates.per_token
    out_rate = rates.output if rates.output is not None else rates.per_token
    if in_rate is not None:
        read_rate = rates.cache_read if rates.cache_read is not None else in_rate
        write_rate = rates.cache_write if rates.cache_write is not None else in_rate
        total += (input_tokens - cache_read - cache_write) * in_rate
        total += cache_read * read_rate + cache_write * write_rate
    if out_rate is not None:
        total += output_tokens * out_rate
    if rates.per_minute is not None:
        total += rates.per_minute * duration_ms // 60_000
    if rates.per_request is not None:
        total += rates.per_request
    return total


def usd_text(pico: int) -> str:
    """Pico-dollars as a plain decimal string rounded half-up to 9 places, e.g. '0.000375'."""
    nano = (pico + 500) // 1000
    whole, frac = divmod(nano, 1_000_000_000)
    text = f"{whole}.{frac:09d}".rstrip("0")
    return text + "0" if text.endswith(".") else text
