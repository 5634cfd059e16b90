"""One task execution and its routing decision per call; the generator's hot path.

Kept deliberately flat (local variables, precomputed cumulative weights, integer costs) so
300,000 executions take seconds rather than minutes.
"""

from __future__ import annotations

import math
from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate
from random import Random
from typing import Any, NamedTuple

import orjson

from routing_analytics.tools.generate.catalog import (
    CLIENT_VERSIONS,
    COMPLEXITIES,
    COMPLEXITY_LATENCY_FACTOR,
    COMPLEXITY_MIX,
    COMPLEXITY_OUTPUT_FACTOR,
    COMPLEXITY_QUALITY_FLOOR,
    COMPLEXITY_SIZE,
    COMPLEXITY_TOKEN_FACTOR,
    EDITORS,
    LANGUAGES,
    PROVIDERS,
    TASK_TYPE_WEIGHTS,
    TASK_TYPES,
    TOKEN_MEDIANS,
    ModelProfile,
)
from routing_analytics.tools.generate.pricing import PriceBook, Rates, cost_pico, usd_text
from routing_analytics.tools.generate.tenants import Tenant
from routing_analytics.tools.generate.timefmt import TimeFormatter, offset_suffix, uuid4_from_bits

Record = dict[str, Any]

_TASK_TYPE_CUM = list(accumulate(TASK_TYPE_WEIGHTS))
_COMPLEXITY_CUM = {t: list(accumulate(mix)) for t, mix in COMPLEXITY_MIX.items()}
_SIZE_FALLBACK: dict[str, tuple[str, ...]] = {
    "small": ("small", "mid", "large"),
    "mid": ("mid", "large", "small"),
    "large": ("large", "mid", "small"),
}
_TIMEOUT_MS: dict[str, int] = {"simple": 30_000, "moderate": 90_000, "complex": 180_000}
_AGENT_TIMEOUT_MS = 1_800_000
_AGENT_TYPICAL_MS = 360_000  # a coding-agent session runs for minutes
_CANCEL_RATE = 0.012
_AGENT_TASKS = ("code_refactoring", "bug_fix", "test_generation")
_CACHE_CHANCE: dict[str, float] = {
    "code_completion": 0.65,
    "code_review": 0.55,
    "code_refactoring": 0.5,
    "bug_fix": 0.45,
    "test_generation": 0.45,
    "documentation": 0.35,
    "other": 0.3,
}
_QUALITY_PENALTY: dict[str, float] = {"simple": -3.0, "moderate": 2.0, "complex": 9.0}
# Per strategy, cumulative odds of choosing: the cheapest acceptable option, another one
# (load balancing), the best-quality one; the remainder goes to the fastest.
_STRATEGY_CUTS: dict[str, tuple[float, float, float]] = {
    "lowest_cost": (0.88, 0.96, 0.96),
    "best_quality": (0.10, 0.20, 1.00),
    "fastest": (0.20, 0.25, 0.25),
    "balanced": (0.55, 0.65, 0.85),
}


class TaskSpec(NamedTuple):
    """What a task is; a retry keeps the spec of the failed attempt."""

    task_id: str
    agent_id: str
    task_type: str
    language: str
    complexity: str
    input_tokens: int
    output_tokens: int
    attempt: int = 0
    exclude: str = ""  # provider that failed the previous attempt


class Retry(NamedTuple):
    """A failed task waiting to be re-run on another provider."""

    spec: TaskSpec
    not_before_ms: int


class Outcome(NamedTuple):
    """How an execution ended and what it consumed."""

    status: str
    duration_ms: int
    error: str
    input_tokens: int
    output_tokens: int


class Usage(NamedTuple):
    """Pricing tier shown on the record, cache split and true cost."""

    tier: str | None
    cache_read: int
    cache_write: int
    cost_text: str


Choice = tuple[str, ModelProfile, Rates, int]  # provider, model, rates, estimate (pico-USD)


@dataclass(frozen=True)
class Incident:
    """A provider outage window: failures, timeouts and latency all rise."""

    provider: str
    start_ms: int
    end_ms: int
    factor: float = 8.0


@dataclass
class Built:
    """Output of one TaskFactory.build call."""

    record: Record
    decision: Record | None  # standalone decision, None when embedded in the record
    retry: Retry | None
    cost_text: str  # true cost of the execution in USD


class TaskFactory:
    """Builds task-execution records and routing decisions from tenant configuration."""

    def __init__(
        self,
        rng: Random,
        book: PriceBook,
        models: dict[str, list[ModelProfile]],
        window_end_ms: int,
        incident: Incident | None,
    ) -> None:
        self.rng = rng
        self.book = book
        self.fmt = TimeFormatter()
        self.window_end_ms = window_end_ms
        self.incident = incident
        self._by_complexity: dict[tuple[str, str], list[ModelProfile]] = {}
        self._agent: dict[str, ModelProfile] = {}
        for provider, profiles in models.items():
            for complexity in COMPLEXITIES:
                for size in _SIZE_FALLBACK[COMPLEXITY_SIZE[complexity]]:
                    fits = [m for m in profiles if m.size == size]
                    if fits:
                        self._by_complexity[provider, complexity] = fits
                        break
            for m in profiles:
                if m.size == "agent":
                    self._agent[provider] = m
        self._has_tier: dict[tuple[str, str, str, int], bool] = {}

    def _model(self, provider: str, complexity: str, task_type: str) -> ModelProfile:
        agent = self._agent.get(provider)
        if (
            agent is not None
            and complexity == "complex"
            and task_type in _AGENT_TASKS
            and self.rng.random() < 0.35
        ):
            return agent
        fits = self._by_complexity[provider, complexity]
        # Newer models (listed later) take most of the traffic once they exist.
        if len(fits) > 1 and self.rng.random() < 0.75:
            return fits[-1]
        return fits[int(self.rng.random() * len(fits))]

    def _tier(self, tenant: Tenant, provider: str, model: str, ms: int) -> str | None:
        """'enterprise' when the tenant has a negotiated row for this model, else None."""
        if tenant.pricing_tier != "enterprise":
            return None
        day = ms // 86_400_000
        key = (provider, model, "enterprise", day)
        known = self._has_tier.get(key)
        if known is None:
            known = self.book.rates(provider, model, "enterprise", ms) is not self.book.rates(
                provider, model, "standard", ms
            )
            self._has_tier[key] = known
        return "enterprise" if known else None

    def _stamp(self, tenant: Tenant) -> tuple[int, str]:
        """Zone used to print one record's timestamps: mostly UTC, sometimes local time."""
        roll = self.rng.random()
        if roll < 0.70:
            return 0, "Z"
        if roll < 0.95 or tenant.utc_offset_min == 0:
            return 0, "+00:00"
        return tenant.utc_offset_min, offset_suffix(tenant.utc_offset_min)

    def build(self, start_ms: int, tenant: Tenant, retry: Retry | None) -> Built:
        """One execution starting at start_ms (a retry when retry is given)."""
        spec = self._new_spec(tenant) if retry is None else retry.spec
        decided_ms = start_ms - 2 - int(self.rng.random() * 45)
        choices = self._estimate(tenant, spec, decided_ms)
        selected, reason = self._select(tenant, choices, spec.complexity, retry is not None)
        provider, model = selected[0], selected[1]
        outcome = self._execute(provider, model, spec, start_ms)
        end_ms = start_ms + outcome.duration_ms
        if end_ms >= self.window_end_ms:
            # Keep the whole execution inside the window rather than spilling past end_date.
            shift = end_ms - self.window_end_ms + 1 + int(self.rng.random() * 60_000)
            start_ms -= shift
            decided_ms -= shift
            end_ms -= shift
        usage = self._usage(tenant, spec, provider, model.model, outcome, start_ms)
        offset, suffix = self._stamp(tenant)
        fmt = self.fmt.format
        record = self._record(
            tenant,
            spec,
            model,
            provider,
            outcome,
            usage,
            start_ms,
            fmt(start_ms, offset, suffix),
            fmt(end_ms, offset, suffix),
        )
        decision = self._decision(
            tenant, record, provider, reason, choices, fmt(decided_ms, offset, suffix)
        )
        standalone = "task_execution_id" in decision
        if not standalone:
            record["routing_decision"] = decision
        next_retry = None
        if outcome.status in ("failed", "timeout") and spec.attempt < 2 and self.rng.random() < 0.6:
            next_retry = Retry(
                spec._replace(attempt=spec.attempt + 1, exclude=provider),
                end_ms + 300 + int(self.rng.random() * 5_000),
            )
        return Built(record, decision if standalone else None, next_retry, usage.cost_text)

    def _new_spec(self, tenant: Tenant) -> TaskSpec:
        rng = self.rng
        rand = rng.random
        task_type = TASK_TYPES[bisect(_TASK_TYPE_CUM, rand() * _TASK_TYPE_CUM[-1])]
        cum = _COMPLEXITY_CUM[task_type]
        complexity = COMPLEXITIES[bisect(cum, rand() * cum[-1])]
        cum = tenant.language_cum
        language = LANGUAGES[bisect(cum, rand() * cum[-1])]
        in_median, out_median = TOKEN_MEDIANS[task_type]
        in_factor = COMPLEXITY_TOKEN_FACTOR[complexity]
        out_factor = COMPLEXITY_OUTPUT_FACTOR[complexity]
        input_tokens = max(20, int(in_median * in_factor * rng.lognormvariate(0.0, 0.6)))
        output_tokens = max(1, int(out_median * out_factor * rng.lognormvariate(0.0, 0.7)))
        task_id = f"task_{rng.getrandbits(64):016x}"
        agent_id = tenant.agents[int(rand() * len(tenant.agents))]
        return TaskSpec(
            task_id, agent_id, task_type, language, complexity, input_tokens, output_tokens
        )

    def _estimate(self, tenant: Tenant, spec: TaskSpec, decided_ms: int) -> list[Choice]:
        """Pick the providers to evaluate and estimate each one's cost for this task."""
        rng = self.rng
        rand = rng.random
        pool = [p for p in tenant.enabled if p != spec.exclude] or list(tenant.enabled)
        evaluated = rng.sample(pool, min(len(pool), 2 + int(rand() * 3)))
        default = tenant.default_provider
        if default in pool and default not in evaluated and rand() < 0.75:
            evaluated[-1] = default
        choices: list[Choice] = []
        for provider in evaluated:
            model = self._model(provider, spec.complexity, spec.task_type)
            tier = self._tier(tenant, provider, model.model, decided_ms) or "standard"
            rates = self.book.rates(provider, model.model, tier, decided_ms)
            if rates is None:
                continue
            # Estimates are made before execution, so token counts carry some error.
            noise = 0.85 + 0.3 * rand()
            est_ms = _AGENT_TYPICAL_MS if model.size == "agent" else 0
            estimate = cost_pico(
                rates,
                int(spec.input_tokens * noise),
                int(spec.output_tokens * noise),
                0,
                0,
                est_ms,
            )
            choices.append((provider, model, rates, estimate))
        return choices

    def _execute(
        self, provider: str, model: ModelProfile, spec: TaskSpec, start_ms: int
    ) -> Outcome:
        """Status, duration and the tokens the execution consumed."""
        complexity, output_tokens = spec.complexity, spec.output_tokens
        rng = self.rng
        rand = rng.random
        profile = PROVIDERS[provider]
        slow = 1.0
        fail_rate, timeout_rate = profile.fail_rate, profile.timeout_rate
        incident = self.incident
        if (
            incident is not None
            and incident.provider == provider
            and incident.start_ms <= start_ms < incident.end_ms
        ):
            fail_rate *= incident.factor
            timeout_rate *= incident.factor
            slow = 2.0
        roll = rand()
        is_agent = model.size == "agent"
        if is_agent:
            full_ms = int(rng.lognormvariate(math.log(_AGENT_TYPICAL_MS), 0.6))
        else:
            ttft = profile.ttft_ms * COMPLEXITY_LATENCY_FACTOR[complexity] * slow
            ttft *= rng.lognormvariate(0.0, profile.sigma)
            speed = profile.tokens_per_s * model.speed
            full_ms = int(ttft + output_tokens * 1000.0 / speed * rng.lognormvariate(0.0, 0.25))
        limit = _AGENT_TIMEOUT_MS if is_agent else _TIMEOUT_MS[complexity]
        if full_ms > limit and roll >= fail_rate:
            # A generation that outlives the router's deadline is cut off as a timeout.
            roll = fail_rate
        if roll < fail_rate:
            duration = 30 + int(rng.lognormvariate(math.log(350.0), 0.8))
            error = profile.errors[int(rand() * len(profile.errors))]
            return Outcome("failed", duration, error, 0, 0)
        if roll < fail_rate + timeout_rate:
            duration = limit + int(rand() * 400)
            partial = int(output_tokens * rand() * 0.5)
            error = f"upstream timeout after {limit} ms"
            return Outcome("timeout", duration, error, spec.input_tokens, partial)
        if roll < fail_rate + timeout_rate + _CANCEL_RATE:
            duration = max(30, int(full_ms * rand()))
            partial = int(output_tokens * rand())
            return Outcome("cancelled", duration, "", spec.input_tokens, partial)
        return Outcome("completed", max(40, full_ms), "", spec.input_tokens, output_tokens)

    def _usage(
        self,
        tenant: Tenant,
        spec: TaskSpec,
        provider: str,
        model: str,
        outcome: Outcome,
        start_ms: int,
    ) -> Usage:
        """Cache split and true cost, priced at the instant the execution started."""
        rand = self.rng.random
        input_used = outcome.input_tokens
        tier = self._tier(tenant, provider, model, start_ms)
        rates = self.book.rates(provider, model, tier or "standard", start_ms)
        cache_read = cache_write = 0
        # Retries re-send the prompt to a cold provider, so they never hit a cache.
        if input_used and spec.attempt == 0 and rates is not None:
            if rates.cache_read is not None and rand() < _CACHE_CHANCE[spec.task_type]:
                cache_read = int(input_used * (0.2 + 0.65 * rand()))
            if rates.cache_write is not None and rand() < 0.35:
                cache_write = int((input_used - cache_read) * (0.1 + 0.5 * rand()))
        cost = 0
        # Calls rejected before any token was processed are not billed.
        if rates is not None and (input_used or outcome.status == "completed"):
            cost = cost_pico(
                rates,
                input_used,
                outcome.output_tokens,
                cache_read,
                cache_write,
                outcome.duration_ms,
            )
        return Usage(tier, cache_read, cache_write, usd_text(cost))

    def _record(
        self,
        tenant: Tenant,
        spec: TaskSpec,
        model: ModelProfile,
        provider: str,
        outcome: Outcome,
        usage: Usage,
        start_ms: int,
        start_text: str,
        end_text: str,
    ) -> Record:
        """The task-execution record in contract field order."""
        rng = self.rng
        rand = rng.random
        status, duration = outcome.status, outcome.duration_ms
        input_used, output_used = outcome.input_tokens, outcome.output_tokens
        tier, cache_read, cache_write, cost_text = usage
        record: Record = {
            "id": uuid4_from_bits(rng.getrandbits(128)),
            "tenant_id": tenant.tenant_id,
            "task_id": spec.task_id,
            "agent_id": spec.agent_id,
            "task_type": spec.task_type,
            "timestamp_start": start_text,
            "timestamp_end": end_text,
        }
        if rand() >= 0.05:
            record["duration_ms"] = duration
        record["provider_used"] = provider
        record["model"] = model.model
        if tier is not None:
            record["pricing_tier"] = tier
        elif rand() < 0.02:
            record["pricing_tier"] = "standard"
        accounts = tenant.accounts[provider]
        record["provider_account_id"] = accounts[int(rand() * len(accounts))]
        record["tokens_used"] = input_used + output_used
        if rand() >= 0.10:
            record["input_tokens"] = input_used
            record["output_tokens"] = output_used
            record["cache_read_tokens"] = cache_read
            record["cache_write_tokens"] = cache_write
        if rand() < 0.15:
            # Providers report cost either as a JSON string or as a bare JSON number.
            as_number = rand() < 0.4
            record["cost_actual"] = orjson.Fragment(cost_text.encode()) if as_number else cost_text
        if status == "completed" and rand() < 0.03:
            record["cost_baseline"] = self._baseline(tenant, spec, start_ms, duration)
        record["status"] = status
        if outcome.error:
            record["error_message"] = outcome.error
        record["language"] = spec.language
        record["complexity"] = spec.complexity
        if status == "completed" and rand() < 0.65:
            score = model.quality - _QUALITY_PENALTY[spec.complexity] + rng.gauss(0.0, 7.0)
            record["quality_score"] = round(min(100.0, max(0.0, score)), 1)
        cum = tenant.editor_cum
        record["metadata"] = {
            "editor": EDITORS[bisect(cum, rand() * cum[-1])],
            "client_version": CLIENT_VERSIONS[tenant.client_version_index],
            "retry_count": spec.attempt,
            "cache_hit": cache_read > 0,
        }
        return record

    def _decision(
        self,
        tenant: Tenant,
        record: Record,
        provider: str,
        reason: str,
        choices: list[Choice],
        decided_at: str,
    ) -> Record:
        """Routing decision; task_execution_id and tenant_id only when it stands alone."""
        rand = self.rng.random
        decision: Record = {"id": uuid4_from_bits(self.rng.getrandbits(128))}
        if rand() >= 0.30:
            decision["task_execution_id"] = record["id"]
            decision["tenant_id"] = tenant.tenant_id
        decision["provider_selected"] = provider
        decision["routing_reason"] = reason
        decision["decided_at"] = decided_at
        decision["providers_evaluated"] = [c[0] for c in choices]
        decision["cost_estimates"] = {c[0]: usd_text(c[3]) for c in choices}
        decision["routing_strategy"] = tenant.strategy
        decision["user_preferences"] = tenant.preferences if rand() < 0.8 else {}
        return decision

    def _select(
        self, tenant: Tenant, choices: list[Choice], complexity: str, is_retry: bool
    ) -> tuple[Choice, str]:
        """Apply the tenant's routing strategy; returns the chosen option and the reason."""
        rand = self.rng.random
        floor = COMPLEXITY_QUALITY_FLOOR[complexity]
        good_enough = [c for c in choices if c[1].quality >= floor] or choices
        cheapest = min(good_enough, key=lambda c: c[3])
        if is_retry:
            return cheapest, "fallback"
        preferred = tenant.preferences.get("prefer_provider")
        if preferred is not None and rand() < 0.5:
            for choice in choices:
                if choice[0] == preferred:
                    return choice, "provider_preference"
        roll = rand()
        strategy = tenant.strategy
        cut = _STRATEGY_CUTS[strategy]
        if roll < cut[0]:
            return cheapest, "lowest_cost"
        if roll < cut[1] and len(choices) > 1:
            others = [c for c in good_enough if c is not cheapest] or choices
            return others[int(rand() * len(others))], "load_balancing"
        if roll < cut[2]:
            return max(choices, key=lambda c: c[1].quality), "best_quality"
        return min(choices, key=self._expected_latency), "fastest_response"

    @staticmethod
    def _expected_latency(choice: Choice) -> float:
        profile = PROVIDERS[choice[0]]
        if choice[1].size == "agent":
            return 360_000.0
        return profile.ttft_ms + 1000.0 * 500 / (profile.tokens_per_s * choice[1].speed)

    def _baseline(self, tenant: Tenant, spec: TaskSpec, start_ms: int, duration: int) -> str:
        """What the tenant's default provider would have charged, as provider-reported."""
        provider = tenant.default_provider
        model = tenant.default_model or self._model(provider, spec.complexity, spec.task_type).model
        rates = self.book.rates(provider, model, tenant.pricing_tier, start_ms)
        if rates is None:
            return "0"
        return usd_text(cost_pico(rates, spec.input_tokens, spec.output_tokens, 0, 0, duration))
