"""Deterministic, realistic sample data for the routing-analytics warehouse.

generate() writes tenants.csv, provider_pricing.csv and the task_executions, routing_decisions
and usage_events NDJSON streams (optionally gzipped, optionally with injected faults).
"""

from routing_analytics.tools.generate.generator import generate
from routing_analytics.tools.generate.options import GenerateOptions, GenerateResult

__all__ = ["GenerateOptions", "GenerateResult", "generate"]
