"""The scheduled run's lock: one writer of the warehouse at a time (run, retention, loads)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import TransientError

RUN_LOCK_KEY = "routing_analytics.run"


class RunInProgress(TransientError):
    """Another scheduled run holds the lock; cron will try again at its next tick."""


@contextmanager
def run_lock(settings: Settings, *, wait: bool) -> Iterator[None]:
    """Held for the whole run on its own connection; released when it closes, also on a crash."""
    with db.connect(settings, autocommit=True) as conn:
        if wait:
            conn.execute("select pg_advisory_lock(hashtext(%s))", (RUN_LOCK_KEY,))
        else:
            taken = conn.execute(
                "select pg_try_advisory_lock(hashtext(%s))", (RUN_LOCK_KEY,)
            ).fetchone()
            if taken != (True,):
                raise RunInProgress(
                    "another `routing-analytics run` is in progress on this database;"
                    " not starting a second one (use --wait to wait for it)"
                )
        yield
