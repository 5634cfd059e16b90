"""What a scheduled run changed, so that its tests and contract cost as much as the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CHANGED_SINCE_VAR = "ANALYTICS_CHANGED_SINCE"


@dataclass(frozen=True)
class ChangedRows:
    """What a run changed, for a contract at the cost of the change: the raw rows of the
    loads it judges, and the task-level mart rows built from inputs staged after the newest
    the live marts hold (None: none are live yet, every row is new). `check` without it reads
    whole tables: the full contract (CI and every `routing-analytics check`)."""

    load_ids: tuple[int, ...]
    staged_after: datetime | None

    def dbt_env(self) -> dict[str, str]:
        """The build's generic data tests read only the rows stamped after `staged_after`
        (macros/testing/get_where_subquery.sql); every row when nothing is live yet."""
        if self.staged_after is None:
            return {}
        return {CHANGED_SINCE_VAR: self.staged_after.isoformat()}

    def raw_rows(self, stream: str) -> str:
        """The rows of the loads; a load's rows land after it started, so their first start
        bounds the BRIN (and partition) scan of _loaded_at to the newest rows of raw."""
        ids = ", ".join(str(int(load_id)) for load_id in self.load_ids) or "null"
        return (
            f"select * from raw.{stream} where _load_id in ({ids}) and _loaded_at >= ("
            f"select min(started_at) from raw.loads where load_id in ({ids}))"
        )

    def task_rows(self, relation: str) -> str:
        if self.staged_after is None:
            return f"select * from {relation}"
        return (
            f"select * from {relation}"
            f" where _inputs_staged_at > '{self.staged_after.isoformat()}'::timestamptz"
        )
