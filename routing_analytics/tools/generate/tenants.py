"""Synthetic tenants: opaque ids, plans, sizes, provider set-up and users. No personal data."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from random import Random

from routing_analytics.tools.generate.catalog import (
    CLIENT_VERSIONS,
    DEFAULT_PROVIDER_WEIGHTS,
    EDITOR_WEIGHTS,
    LANGUAGE_WEIGHTS,
    ROUTING_STRATEGIES,
    ROUTING_STRATEGY_WEIGHTS,
    TENANT_UTC_OFFSETS,
)
from routing_analytics.tools.generate.timefmt import rfc3339_seconds

TENANT_COLUMNS: tuple[str, ...] = (
    "tenant_id",
    "default_provider",
    "default_model",
    "plan",
    "created_at",
)
# Chance that a tenant enables a non-default provider in its router configuration.
_ENABLE_CHANCE: dict[str, float] = {
    "openai": 0.8,
    "anthropic": 0.8,
    "google": 0.7,
    "github_copilot": 0.5,
    "deepseek": 0.35,
}
_SIZE_MEDIAN: dict[str, float] = {"free": 1.2, "pro": 7.0, "enterprise": 35.0}
_USERS: dict[str, tuple[int, int]] = {"free": (1, 3), "pro": (3, 12), "enterprise": (20, 90)}
_AGENTS: dict[str, tuple[int, int]] = {"free": (1, 2), "pro": (2, 5), "enterprise": (5, 15)}


@dataclass
class Tenant:
    """One tenant and everything the generator needs to simulate its traffic."""

    index: int
    tenant_id: str
    plan: str
    created_at: datetime
    weight: float  # relative task volume
    utc_offset_min: int
    default_provider: str
    default_model: str  # "" when the tenant only fixed a provider
    enabled: list[str]  # providers the router may evaluate, default first
    strategy: str
    preferences: dict[str, object]
    pricing_tier: str
    accounts: dict[str, list[str]]
    agents: list[str]
    language_cum: list[float]
    editor_cum: list[float]
    users: list[str]
    user_first_day: list[int]  # window day index on which each user first shows up
    client_version_index: int


def _weighted(rng: Random, items: list[str], weights: list[float]) -> str:
    return rng.choices(items, weights=weights)[0]


def _skew(rng: Random, weights: tuple[float, ...], spread: float) -> list[float]:
    """Tenant-specific variation of a global mix, returned as cumulative weights."""
    return list(accumulate(w * rng.lognormvariate(0.0, spread) for w in weights))


def build_tenants(
    rng: Random,
    count: int,
    days: int,
    window_start: datetime,
    routable: dict[str, list[tuple[str, str]]],
) -> list[Tenant]:
    """Create count tenants; routable maps provider -> [(model, size)] priced in the window."""
    providers = list(routable)
    plans = ["enterprise"] * max(1, round(count * 0.15)) + ["pro"] * round(count * 0.35)
    plans = (plans + ["free"] * count)[:count]
    rng.shuffle(plans)
    account_seq = dict.fromkeys(providers, 0)
    tenants: list[Tenant] = []
    for i, plan in enumerate(plans, start=1):
        weights = [DEFAULT_PROVIDER_WEIGHTS.get(p, 0.05) for p in providers]
        default_provider = _weighted(rng, providers, weights)
        models = routable[default_provider]
        big = [m for m, size in models if size in ("mid", "large")] or [m for m, _ in models]
        blank_chance = 0.6 if default_provider == "github_copilot" else 0.12
        default_model = "" if rng.random() < blank_chance else rng.choice(big)
        enabled = [default_provider] + [
            p for p in providers if p != default_provider and rng.random() < _ENABLE_CHANCE[p]
        ]
        if len(enabled) < 2:
            enabled.append(rng.choice([p for p in providers if p != default_provider]))
        preferences: dict[str, object] = {}
        roll = rng.random()
        if roll < 0.25:
            preferences = {"prefer_provider": rng.choice(enabled)}
        elif roll < 0.33:
            preferences = {"max_latency_ms": rng.choice((15_000, 20_000, 30_000))}
        elif roll < 0.45 and len(enabled) < len(providers):
            preferences = {"exclude_providers": [p for p in providers if p not in enabled]}
        accounts: dict[str, list[str]] = {}
        for provider in enabled:
            owned = 2 if plan == "enterprise" and provider == default_provider else 1
            accounts[provider] = []
            for _ in range(owned):
                account_seq[provider] += 1
                accounts[provider].append(f"acct_{provider}_{account_seq[provider]:02d}")
        low, high = _USERS[plan]
        n_users = rng.randint(low, high)
        users = [f"u-{i:04d}-{k:04d}" for k in range(1, n_users + 1)]
        # Most users predate the window; the rest join on later days.
        first_day = [0 if rng.random() < 0.65 else rng.randrange(days) for _ in users]
        low, high = _AGENTS[plan]
        tenants.append(
            Tenant(
                index=i,
                tenant_id=f"tenant_{i:04d}",
                plan=plan,
                created_at=window_start
                - timedelta(days=rng.uniform(20, 700), seconds=rng.randrange(86_400)),
                weight=_SIZE_MEDIAN[plan] * rng.lognormvariate(0.0, 0.45),
                utc_offset_min=rng.choice(TENANT_UTC_OFFSETS),
                default_provider=default_provider,
                default_model=default_model,
                enabled=enabled,
                strategy=_weighted(rng, list(ROUTING_STRATEGIES), list(ROUTING_STRATEGY_WEIGHTS)),
                preferences=preferences,
                pricing_tier="enterprise" if plan == "enterprise" else "standard",
                accounts=accounts,
                agents=[f"agt_{i:04d}_{k:02d}" for k in range(1, rng.randint(low, high) + 1)],
                language_cum=_skew(rng, LANGUAGE_WEIGHTS, 1.0),
                editor_cum=_skew(rng, EDITOR_WEIGHTS, 0.5),
                users=users,
                user_first_day=first_day,
                client_version_index=rng.randrange(len(CLIENT_VERSIONS)),
            )
        )
    return tenants


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split total into integer parts proportional to weights (largest remainder)."""
    weight_sum = math.fsum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    exact = [total * w / weight_sum for w in weights]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda k: (parts[k] - exact[k], k))
    for k in order[: total - sum(parts)]:
        parts[k] += 1
    return parts


def write_tenants_csv(tenants: list[Tenant], path: Path, bad_row: bool) -> int:
    """Write tenants.csv; with bad_row, append one row with a surplus field. Returns rows."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TENANT_COLUMNS)
        for tenant in tenants:
            writer.writerow(
                (
                    tenant.tenant_id,
                    tenant.default_provider,
                    tenant.default_model,
                    tenant.plan,
                    rfc3339_seconds(tenant.created_at),
                )
            )
        if bad_row:
            last = tenants[-1]
            # An unquoted comma upstream splits the model name into an extra column.
            writer.writerow(
                (
                    f"tenant_{len(tenants) + 1:04d}",
                    "openai",
                    "gpt-5.4",
                    "fallback",
                    "pro",
                    rfc3339_seconds(last.created_at),
                )
            )
    return len(tenants) + (1 if bad_row else 0)
