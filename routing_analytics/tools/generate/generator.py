"""Orchestrates one generator run: reference CSVs first, then the NDJSON streams day by day.

Each concern draws from its own seeded Random, so turning faults on leaves every clean record
byte-identical and only adds, moves or corrupts lines.
"""

from __future__ import annotations

from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from pathlib import Path
from random import Random

import orjson

from routing_analytics.tools.generate.catalog import (
    HOUR_WEIGHTS,
    MODELS,
    WEEKDAY_FACTOR,
    ModelProfile,
)
from routing_analytics.tools.generate.faults import CSV_KIND, LATE_KIND, FaultInjector
from routing_analytics.tools.generate.options import GenerateOptions, GenerateResult
from routing_analytics.tools.generate.pricing import (
    PriceBook,
    PriceRow,
    add_window_price_cut,
    read_price_list,
    write_price_csv,
)
from routing_analytics.tools.generate.sink import LineSink, ndjson_path
from routing_analytics.tools.generate.span import Span, span_slots
from routing_analytics.tools.generate.tasks import Built, Incident, Retry, TaskFactory
from routing_analytics.tools.generate.tenants import (
    Tenant,
    allocate,
    build_tenants,
    write_tenants_csv,
)
from routing_analytics.tools.generate.timefmt import DAY_MS, HOUR_MS, day_start_ms
from routing_analytics.tools.generate.usage import TASK_CREATED_SHARE, UsageFactory

# Share of executions on eligible days (several days before end_date) that arrive late.
LATE_SHARE = 0.004


def _validate(options: GenerateOptions) -> None:
    if options.tenants < 1:
        raise ValueError("tenants must be at least 1")
    if options.days < 1:
        raise ValueError("days must be at least 1")
    if options.executions < 0:
        raise ValueError("executions must not be negative")
    if (options.start is None) != (options.end is None):
        raise ValueError("--start and --end go together")


def _routable(book: PriceBook, start_ms: int, end_ms: int) -> dict[str, list[ModelProfile]]:
    """Models priced for the whole window, by provider; providers without any are dropped."""
    routable: dict[str, list[ModelProfile]] = {}
    for profile in MODELS:
        if book.covers(profile.provider, profile.model, "standard", start_ms, end_ms):
            routable.setdefault(profile.provider, []).append(profile)
    if len(routable) < 2:
        raise ValueError(
            "the packaged price list covers fewer than two providers for this window; "
            "choose a later end_date"
        )
    return routable


def _day_weights(rng: Random, first_day: date, days: int) -> list[float]:
    # Weekly rhythm, gentle growth over the window and some day-to-day noise.
    return [
        WEEKDAY_FACTOR[(first_day + timedelta(days=d)).weekday()]
        * (1.0 + 0.004 * d)
        * rng.lognormvariate(0.0, 0.08)
        for d in range(days)
    ]


@dataclass(frozen=True)
class _Window:
    """The generated period: whole UTC days ending with end_date, cut at the current time
    (nothing is generated in the future: a router cannot have sent it yet)."""

    first_day: date
    days: int
    start: datetime
    end: datetime  # exclusive, the end of end_date
    now_ms: int

    @property
    def start_ms(self) -> int:
        return day_start_ms(self.first_day)

    @property
    def end_ms(self) -> int:
        return min(self.start_ms + self.days * DAY_MS, self.now_ms)

    def day_length_ms(self, day: int) -> int:
        """How much of day `day` (0-based) lies before the end: DAY_MS but for today."""
        return max(0, min(DAY_MS, self.end_ms - (self.start_ms + day * DAY_MS)))


class _Streams:
    """The NDJSON sinks of one run, written through the fault injector."""

    def __init__(self, out_dir: Path, compress: bool, faults: FaultInjector) -> None:
        self.faults = faults
        self.tasks = LineSink(ndjson_path(out_dir, "task_executions", compress), compress)
        self.decisions = LineSink(ndjson_path(out_dir, "routing_decisions", compress), compress)
        self.usage = LineSink(ndjson_path(out_dir, "usage_events", compress), compress)
        self.late: LineSink | None = None
        if faults.enabled:
            self.late = LineSink(ndjson_path(out_dir, "task_executions_late", compress), compress)

    def task(self, built: Built, late: bool) -> None:
        if late and self.late is not None:
            self.late.write(orjson.dumps(built.record))
            self.faults.count(LATE_KIND)
        else:
            self.faults.emit("task_executions", self.tasks, built.record, built.cost_text)
        if built.decision is not None:
            self.faults.emit("routing_decisions", self.decisions, built.decision)

    def usage_events(self, events: list[dict[str, object]]) -> None:
        for event in events:
            self.faults.emit("usage_events", self.usage, event)

    def close(self, files: dict[str, list[Path]], counts: dict[str, int]) -> None:
        for name, sink in (
            ("task_executions", self.tasks),
            ("routing_decisions", self.decisions),
            ("usage_events", self.usage),
        ):
            self.faults.finish(name, sink)
            sink.close()
            files[name] = [sink.path]
            counts[name] = sink.lines
        if self.late is not None:
            # Closed after the main file: these records reach the landing zone later.
            self.late.close()
            files["task_executions"].append(self.late.path)
            counts["task_executions"] += self.late.lines


def _window(options: GenerateOptions) -> _Window:
    end_date = options.end_date or datetime.now(UTC).date()
    first_day = end_date - timedelta(days=options.days - 1)
    start = datetime.combine(first_day, time(), UTC)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    if day_start_ms(first_day) >= now_ms:
        raise ValueError(f"the window starts on {first_day}, in the future")
    return _Window(first_day, options.days, start, start + timedelta(days=options.days), now_ms)


def _volume(options: GenerateOptions, window: _Window, tenants: list[Tenant]) -> list[int]:
    """Executions per (day, tenant) cell, flattened day-major; sums to options.executions."""
    rng = Random(f"{options.seed}:volume")
    day_weights = _day_weights(rng, window.first_day, window.days)
    cells = [
        day_weights[d] * window.day_length_ms(d) / DAY_MS * t.weight * rng.lognormvariate(0.0, 0.15)
        for d in range(window.days)
        for t in tenants
    ]
    return allocate(options.executions, cells)


def _incident(seed: int, window: _Window, providers: list[str]) -> Incident:
    """One provider outage of one to three hours during working time on a random day."""
    rng = Random(f"{seed}:incident")
    day = rng.randrange(window.days)
    start = window.start_ms + day * DAY_MS + rng.randrange(8, 16) * HOUR_MS
    return Incident(
        provider=rng.choice(sorted(providers)),
        start_ms=start,
        end_ms=start + rng.randint(1, 3) * HOUR_MS,
    )


def _day_slots(
    rng: Random,
    tenants: list[Tenant],
    counts: list[int],
    day_ms: int,
    hour_cum: list[float],
    day_length_ms: int = DAY_MS,
) -> list[tuple[int, int]]:
    """Sorted (start_ms, tenant index) pairs for one day, following local business hours; a
    day cut short (today, up to now) gets its slots in its first day_length_ms."""
    rand = rng.random
    slots: list[tuple[int, int]] = []
    for t, tenant in enumerate(tenants):
        offset_ms = tenant.utc_offset_min * 60_000
        for _ in range(counts[t]):
            hour = bisect(hour_cum, rand() * hour_cum[-1])
            local = hour * HOUR_MS + int(rand() * HOUR_MS)
            # Keep a second of headroom so decided_at never precedes the window.
            in_day = (local - offset_ms) % DAY_MS * day_length_ms // DAY_MS
            slots.append((day_ms + max(1_000, in_day), t))
    slots.sort()
    return slots


def _usage_of_day(
    usage: UsageFactory,
    window: _Window,
    day: int,
    tenants: list[Tenant],
    task_times: list[list[int]],
) -> list[dict[str, object]]:
    """The usage events of one day of the window (none for a day that has not begun)."""
    day_length = window.day_length_ms(day)
    if not day_length:
        return []
    weekend = (window.first_day + timedelta(days=day)).weekday() >= 5
    day_ms = window.start_ms + day * DAY_MS
    return usage.day_events(day, day_ms, weekend, tenants, task_times, day_length)


def _emit_tasks(
    slots: list[tuple[int, int]],
    late: set[int],
    factory: TaskFactory,
    tenants: list[Tenant],
    streams: _Streams,
    slot_rng: Random,
    pending: dict[int, Retry],
) -> list[list[int]]:
    """Write the tasks of the slots (a retry where one is pending); returns, per tenant, the
    start times of the tasks a person created by hand (their usage events)."""
    task_times: list[list[int]] = [[] for _ in tenants]
    for index, (slot_ms, t) in enumerate(slots):
        retry = pending.get(t)
        if retry is not None and slot_ms >= retry.not_before_ms:
            del pending[t]
        else:
            retry = None
        built = factory.build(slot_ms, tenants[t], retry)
        if built.retry is not None:
            pending[t] = built.retry
        if retry is None and slot_rng.random() < TASK_CREATED_SHARE:
            task_times[t].append(slot_ms)
        streams.task(built, index in late)
    return task_times


@dataclass(frozen=True)
class _Reference:
    """What the window fixes for any span generated with the same seed and tenants: the
    price list, the routable models, the tenants and the provider incident."""

    window: _Window
    price_rows: list[PriceRow]
    book: PriceBook
    models: dict[str, list[ModelProfile]]
    tenants: list[Tenant]
    incident: Incident


def _reference(options: GenerateOptions) -> _Reference:
    window = _window(options)
    price_rows, _ = add_window_price_cut(read_price_list(), window.start, window.end, window.days)
    book = PriceBook(price_rows)
    models = _routable(book, window.start_ms, window.end_ms)
    sizes = {p: [(m.model, m.size) for m in ms if m.size != "agent"] for p, ms in models.items()}
    tenants = build_tenants(
        Random(f"{options.seed}:tenants"), options.tenants, window.days, window.start, sizes
    )
    incident = _incident(options.seed, window, list(models))
    return _Reference(window, price_rows, book, models, tenants, incident)


def generate(options: GenerateOptions) -> GenerateResult:
    """Write the sample data set described by options into options.out_dir: the whole window
    with its reference files, or with options.start/end only the streams of that span."""
    _validate(options)
    reference = _reference(options)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    if options.start is not None and options.end is not None:
        span = Span.of(options.start, options.end, datetime.now(UTC))
        return _generate_span(options, reference, span)
    return _generate_window(options, reference)


def _generate_window(options: GenerateOptions, reference: _Reference) -> GenerateResult:
    seed, window, tenants = options.seed, reference.window, reference.tenants
    out_dir = options.out_dir
    faults = FaultInjector(Random(f"{seed}:faults"), options.faults)
    files: dict[str, list[Path]] = {
        "tenants": [out_dir / "tenants.csv"],
        "provider_pricing": [out_dir / "provider_pricing.csv"],
    }
    counts = {
        "tenants": write_tenants_csv(tenants, files["tenants"][0], bad_row=options.faults),
        "provider_pricing": write_price_csv(reference.price_rows, files["provider_pricing"][0]),
    }
    if options.faults:
        faults.count(CSV_KIND)

    per_cell = _volume(options, window, tenants)
    factory = TaskFactory(
        Random(f"{seed}:tasks"), reference.book, reference.models, window.end_ms, reference.incident
    )
    hour_cum = list(accumulate(HOUR_WEIGHTS))
    usage = UsageFactory(Random(f"{seed}:usage"), hour_cum)
    slot_rng = Random(f"{seed}:slots")
    late_rng = Random(f"{seed}:late")
    # Late records come from days well before end_date; a one-day window has none.
    lag = min(3, window.days - 1)
    late_before_day = window.days - lag if lag else 0
    streams = _Streams(out_dir, options.compress, faults)
    pending: dict[int, Retry] = {}
    n = len(tenants)
    for d in range(window.days):
        day_ms = window.start_ms + d * DAY_MS
        day_length = window.day_length_ms(d)
        slots = _day_slots(
            slot_rng, tenants, per_cell[d * n : (d + 1) * n], day_ms, hour_cum, day_length
        )
        late: set[int] = set()
        if options.faults and d < late_before_day and slots:
            quota = max(1, round(LATE_SHARE * len(slots)))
            late = set(late_rng.sample(range(len(slots)), quota))
        task_times = _emit_tasks(slots, late, factory, tenants, streams, slot_rng, pending)
        streams.usage_events(_usage_of_day(usage, window, d, tenants, task_times))
    streams.close(files, counts)
    return GenerateResult(files=files, counts=counts, faults=dict(sorted(faults.counts.items())))


def _generate_span(options: GenerateOptions, reference: _Reference, span: Span) -> GenerateResult:
    """The task, decision and usage streams of one span; no reference files (loading the same
    tenants and prices again would only add versions). Every random draw is seeded with the
    span too, so two spans never repeat each other's ids."""
    seed = f"{options.seed}:{span.start_ms}:{span.end_ms}"
    window, tenants = reference.window, reference.tenants
    faults = FaultInjector(Random(f"{seed}:faults"), options.faults)
    # A task may end after the span, never after now.
    factory = TaskFactory(
        Random(f"{seed}:tasks"), reference.book, reference.models, window.now_ms, reference.incident
    )
    usage = UsageFactory(Random(f"{seed}:usage"), list(accumulate(HOUR_WEIGHTS)))
    slot_rng = Random(f"{seed}:slots")
    slots = span_slots(slot_rng, span, tenants, options.executions)
    streams = _Streams(options.out_dir, options.compress, faults)
    pending: dict[int, Retry] = {}
    for day_ms in range(span.start_ms // DAY_MS * DAY_MS, span.end_ms, DAY_MS):
        of_day = [slot for slot in slots if day_ms <= slot[0] < day_ms + DAY_MS]
        task_times = _emit_tasks(of_day, set(), factory, tenants, streams, slot_rng, pending)
        weekend = datetime.fromtimestamp(day_ms / 1000, UTC).weekday() >= 5
        day_index = (day_ms - window.start_ms) // DAY_MS
        within = (span.start_ms, span.end_ms)
        streams.usage_events(
            usage.day_events(day_index, day_ms, weekend, tenants, task_times, within=within)
        )
    files: dict[str, list[Path]] = {}
    counts: dict[str, int] = {}
    streams.close(files, counts)
    return GenerateResult(files=files, counts=counts, faults=dict(sorted(faults.counts.items())))
