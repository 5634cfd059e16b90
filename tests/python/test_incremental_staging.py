"""The incremental base models check a landed row again when its result can change without
a new line: its provider becomes known or unknown (a price list lands or is withdrawn).
After each step the staged rows equal what a full rebuild of staging gives."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from conftest import Warehouse, cli, rows

pytestmark = pytest.mark.integration

NEW_PROVIDER = "acme_llm"
BASE_TASKS = "staging.base_router__task_executions"
# Every column but when the row was staged.
STAGED_ROWS = f"""
    select _load_id, _line_number, task_execution_id, provider_key, is_known_provider,
        rejection_reason, is_rejected, is_withdrawn
    from {BASE_TASKS}
    order by 1, 2
"""


def _tasks_of_a_new_provider(warehouse: Warehouse, folder: Path) -> list[str]:
    """Three valid tasks of the published data set, as new tasks routed to NEW_PROVIDER."""
    source = warehouse.generated.files["task_executions"][0]
    records = [orjson.loads(line) for line in source.read_bytes().splitlines()[:3]]
    ids = []
    folder.mkdir()
    with (folder / "task_executions_acme.jsonl").open("wb") as out:
        for number, record in enumerate(records):
            record["id"] = f"00000000-0000-4000-8000-{number:012d}"
            record["provider_used"] = NEW_PROVIDER
            record.pop("routing_decision", None)
            out.write(orjson.dumps(record) + b"\n")
            ids.append(record["id"])
    return ids


PRICE_LIST = (
    "provider,model,pricing_tier,pricing_model,cost_per_token,currency,effective_from\n"
    f"{NEW_PROVIDER},,standard,token,0.000001,USD,2020-01-01T00:00:00Z\n"
)


def _price_list_of_the_new_provider(folder: Path) -> None:
    folder.mkdir()
    (folder / "provider_pricing_acme.csv").write_text(PRICE_LIST)


def _build(warehouse: Warehouse, *extra: str) -> None:
    staging_only = ("--select", "staging", "--exclude-resource-type", "test", "unit_test")
    built = cli(warehouse.env, "build", *extra, "--", *staging_only)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]


def _reasons(warehouse: Warehouse, ids: list[str]) -> set[object]:
    found = rows(
        warehouse.url,
        f"select distinct rejection_reason from {BASE_TASKS}"
        f" where task_execution_id::text in ({', '.join(repr(i) for i in ids)})",
    )
    return {reason for (reason,) in found}


def _equals_a_full_rebuild(warehouse: Warehouse) -> None:
    incremental = rows(warehouse.url, STAGED_ROWS)
    _build(warehouse, "--full-refresh")
    assert rows(warehouse.url, STAGED_ROWS) == incremental


def test_a_provider_that_becomes_known_or_unknown_is_checked_again(
    published_copy: Warehouse, tmp_path: Path
):
    ids = _tasks_of_a_new_provider(published_copy, tmp_path / "tasks")
    assert cli(published_copy.env, "load", str(tmp_path / "tasks")).returncode == 0
    _build(published_copy)
    assert _reasons(published_copy, ids) == {"unknown_provider"}

    _price_list_of_the_new_provider(tmp_path / "prices")
    loaded = cli(published_copy.env, "load", str(tmp_path / "prices"))
    assert loaded.returncode == 0, loaded.stderr
    _build(published_copy)
    assert _reasons(published_copy, ids) == {None}
    _equals_a_full_rebuild(published_copy)

    (price_load,) = rows(
        published_copy.url, "select max(load_id) from raw.loads where stream = 'provider_pricing'"
    )[0]
    withdrawn = cli(published_copy.env, "loads", "withdraw", str(price_load), "--reason", "test")
    assert withdrawn.returncode == 0, withdrawn.stderr
    _build(published_copy)
    assert _reasons(published_copy, ids) == {"unknown_provider"}
    _equals_a_full_rebuild(published_copy)
