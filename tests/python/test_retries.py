"""Transient database failures are retried with backoff; terminal ones are not."""

from __future__ import annotations

import pytest

from routing_analytics.platform.db import with_retries
from routing_analytics.platform.errors import TerminalError, TransientError


def flaky(failures: list[Exception]):
    def action() -> str:
        if failures:
            raise failures.pop(0)
        return "done"

    return action


def test_transient_failures_are_retried_until_success():
    warnings: list[str] = []
    action = flaky([TransientError("connection lost"), TransientError("server starting")])
    assert with_retries(action, on_retry=warnings.append, delays=(0, 0, 0)) == "done"
    assert warnings == ["connection lost; retrying in 0 s", "server starting; retrying in 0 s"]


def test_terminal_failures_are_not_retried():
    warnings: list[str] = []
    with pytest.raises(TerminalError):
        with_retries(
            flaky([TerminalError("permission denied")]), on_retry=warnings.append, delays=(0, 0)
        )
    assert warnings == []


def test_retries_give_up_with_the_last_error():
    failures = [TransientError(f"attempt {n}") for n in range(1, 5)]
    with pytest.raises(TransientError, match="attempt 3"):
        with_retries(flaky(failures), on_retry=lambda _: None, delays=(0, 0))
    assert [str(error) for error in failures] == ["attempt 4"]
