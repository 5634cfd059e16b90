"""Usage events (logins, dashboard views, API calls, task creation) per tenant and day."""

from __future__ import annotations

from bisect import bisect
from random import Random
from typing import Any

from routing_analytics.tools.generate.tenants import Tenant
from routing_analytics.tools.generate.timefmt import DAY_MS, HOUR_MS, TimeFormatter, uuid4_from_bits

Record = dict[str, Any]

# Share of tasks that a person starts by hand; agents and CI create the rest via the API.
TASK_CREATED_SHARE = 0.25


class UsageFactory:
    """Simulates the people behind each tenant for one day at a time."""

    def __init__(self, rng: Random, hour_cum: list[float]) -> None:
        self.rng = rng
        self.fmt = TimeFormatter()
        self.hour_cum = hour_cum

    def _local_ms(self) -> int:
        rand = self.rng.random
        hour = bisect(self.hour_cum, rand() * self.hour_cum[-1])
        return hour * HOUR_MS + int(rand() * HOUR_MS)

    def day_events(
        self,
        day_index: int,
        day_ms: int,
        weekend: bool,
        tenants: list[Tenant],
        task_times: list[list[int]],
        day_length_ms: int = DAY_MS,
        within: tuple[int, int] | None = None,
    ) -> list[Record]:
        """All events of one UTC day, ordered by occurred_at; a day cut short (today, up to
        now) gets its events in its first day_length_ms; with within, only the events in that
        half-open span of epoch milliseconds."""
        rng = self.rng
        rand = rng.random
        fmt = self.fmt.format
        events: list[tuple[int, int, str, str, str]] = []
        active_chance = 0.15 if weekend else 0.75
        for tenant, starts in zip(tenants, task_times, strict=True):
            offset_ms = tenant.utc_offset_min * 60_000
            active: list[str] = []
            for user, first_day in zip(tenant.users, tenant.user_first_day, strict=True):
                if first_day > day_index:
                    continue
                if not (first_day == day_index and day_index > 0) and rand() >= active_chance:
                    continue
                active.append(user)
                login = day_ms + (self._local_ms() - offset_ms) % DAY_MS * day_length_ms // DAY_MS
                events.append((login, len(events), tenant.tenant_id, user, "login"))
                views = int(rand() * (5 if tenant.plan == "enterprise" else 3))
                calls = int(rng.lognormvariate(1.5, 0.9))
                for kind, n in (("dashboard_view", views), ("api_call", calls)):
                    for _ in range(n):
                        when = min(login + int(rand() * 6 * HOUR_MS), day_ms + day_length_ms - 1)
                        events.append((when, len(events), tenant.tenant_id, user, kind))
            creators = active or tenant.users
            for start in starts:
                user = creators[int(rand() * len(creators))]
                when = max(day_ms, start - 1_000 - int(rand() * 120_000))
                events.append((when, len(events), tenant.tenant_id, user, "task_created"))
        events.sort()
        if within is not None:
            events = [event for event in events if within[0] <= event[0] < within[1]]
        records: list[Record] = []
        for when, _, tenant_id, user, kind in events:
            suffix = "Z" if rand() < 0.85 else "+00:00"
            records.append(
                {
                    "id": uuid4_from_bits(rng.getrandbits(128)),
                    "tenant_id": tenant_id,
                    "user_id": user,
                    "event_type": kind,
                    "occurred_at": fmt(when, 0, suffix),
                }
            )
        return records
