"""Public option and result types for the sample-data generator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path


@dataclass(frozen=True)
class GenerateOptions:
    """What to generate; the same options (with an explicit end_date) give identical bytes."""

    out_dir: Path
    tenants: int = 20
    days: int = 30
    executions: int = 300_000  # total task executions across all tenants (before faults)
    seed: int = 42
    end_date: date | None = None  # last day of the window (UTC); None = today (UTC)
    faults: bool = False  # inject realistic faults
    compress: bool = False  # write .jsonl.gz instead of .jsonl
    # Only the tasks starting in [start, end) (and their decisions and usage events), with the
    # tenants and prices of the window above: e.g. the next hour on top of a data set.
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class GenerateResult:
    """Files written and line counts.

    counts holds, per stream, the lines written across all its files: NDJSON lines (including
    faulty or empty ones) for the JSON streams, data rows without the header for the CSVs.
    """

    files: dict[str, list[Path]]  # stream name -> files written
    counts: dict[str, int]  # stream name -> lines written (all files of that stream)
    faults: dict[str, int]  # fault kind -> how many lines carry it (empty when faults=False)
