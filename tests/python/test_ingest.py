"""`POST /v1/ingest/{stream}` on a real service and PostgreSQL: a body lands once through the
loader (validation, quarantine, lineage), a retry lands nothing, the next `run` publishes it,
and every refused request gets its status, a JSON reason, and lands nothing."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
from conftest import Warehouse, cli, rows, running_service

pytestmark = pytest.mark.integration

KEY_NAME = "router-test"
LIMIT_BYTES = 100_000
NDJSON = {"Content-Type": "application/x-ndjson"}


@dataclass(frozen=True)
class Ingesting:
    base_url: str
    key: str
    warehouse: Warehouse

    def post(self, stream: str, body: object, key: str | None = None, **headers: str):
        return httpx.post(
            f"{self.base_url}/v1/ingest/{stream}",
            content=body,
            headers={"Authorization": f"Bearer {key or self.key}", **NDJSON, **headers},
            timeout=60,
        )


@pytest.fixture
def ingesting(published_copy: Warehouse) -> Iterator[Ingesting]:
    made = cli(published_copy.env, "ingest-key", "--name", KEY_NAME)
    assert made.returncode == 0, made.stderr
    env = {**published_copy.env, "ANALYTICS_INGEST_MAX_BYTES": str(LIMIT_BYTES)}
    with running_service(env) as base_url:
        yield Ingesting(base_url, made.stdout.strip(), published_copy)


def new_tasks(warehouse: Warehouse, count: int) -> tuple[list[str], bytes]:
    """`count` valid tasks of the published data set as new tasks: their ids and NDJSON."""
    source = warehouse.generated.files["task_executions"][0]
    records = [orjson.loads(line) for line in source.read_bytes().splitlines()[:count]]
    for number, record in enumerate(records):
        record["id"] = f"00000000-0000-4000-9000-{number:012d}"
        record.pop("routing_decision", None)
    return [r["id"] for r in records], b"".join(orjson.dumps(r) + b"\n" for r in records)


def loads(url: str) -> list[tuple]:
    return rows(url, "select load_id, stream, source_file, status from raw.loads order by 1")


def test_a_body_lands_once_and_the_next_run_publishes_it(ingesting: Ingesting, tmp_path: Path):
    url = ingesting.warehouse.url
    ids, body = new_tasks(ingesting.warehouse, 3)
    body += b'{"id": "not json\n'
    # A retry sends the same bytes; gzip stamps the time, so compress once.
    compressed = gzip.compress(body)
    answer = ingesting.post("task_executions", compressed, **{"Content-Encoding": "gzip"})
    assert answer.status_code == 200, answer.text
    landed = answer.json()
    assert (landed["status"], landed["lines"], landed["landed"], landed["quarantined"]) == (
        "succeeded",
        4,
        3,
        1,
    )
    assert landed["file"].startswith(f"http-{KEY_NAME}-") and landed["file"].endswith(".ndjson.gz")
    assert rows(
        url,
        f"select stream, status, lines_read, rows_landed, rows_quarantined, source_file"
        f" from raw.loads where load_id = {landed['load_id']}",
    ) == [("task_executions", "succeeded", 4, 3, 1, landed["file"])]
    assert rows(
        url, f"select _line_number from raw.quarantined_lines where _load_id = {landed['load_id']}"
    ) == [(4,)]

    retried = ingesting.post("task_executions", compressed, **{"Content-Encoding": "gzip"})
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "skipped"
    assert retried.json()["landed"] == 0
    assert retried.json()["body_sha256"] == landed["body_sha256"]
    id_list = ", ".join(f"'{task_id}'" for task_id in ids)
    assert rows(
        url, f"select count(*) from raw.task_executions where record ->> 'id' in ({id_list})"
    ) == [(3,)]

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ran = cli(ingesting.warehouse.env, "run", str(inbox))
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    published = rows(
        url, f"select id::text from analytics.task_executions where id::text in ({id_list})"
    )
    assert sorted(task_id for (task_id,) in published) == sorted(ids)


def test_refused_requests_say_why_and_land_nothing(ingesting: Ingesting):
    url = ingesting.warehouse.url
    before = loads(url)
    _, body = new_tasks(ingesting.warehouse, 2)
    tenant_token = cli(ingesting.warehouse.env, "token", "--tenant", "tenant_0001").stdout.strip()
    over_limit = b'{"pad": "' + b"x" * LIMIT_BYTES + b'"}\n'
    # Small on the wire, over the limit once inflated.
    inflating = gzip.compress(b'{"id": 1}\n' * (LIMIT_BYTES // 5))
    assert len(inflating) < LIMIT_BYTES // 10

    def in_chunks(data: bytes) -> Iterator[bytes]:  # no Content-Length: streamed
        yield from (data[i : i + 8192] for i in range(0, len(data), 8192))

    refusals = {
        "no key": (
            401,
            lambda: httpx.post(f"{ingesting.base_url}/v1/ingest/tenants", content=body),
        ),
        "a wrong key": (401, lambda: ingesting.post("task_executions", body, key="rak_wrong")),
        "a tenant's JWT": (401, lambda: ingesting.post("task_executions", body, key=tenant_token)),
        "an unknown stream": (422, lambda: ingesting.post("passwords", body)),
        "CSV": (415, lambda: ingesting.post("tenants", body, **{"Content-Type": "text/csv"})),
        "brotli": (415, lambda: ingesting.post("tenants", body, **{"Content-Encoding": "br"})),
        "an empty body": (400, lambda: ingesting.post("task_executions", b"")),
        "a declared length over the limit": (
            413,
            lambda: ingesting.post("task_executions", over_limit),
        ),
        "a streamed body over the limit": (
            413,
            lambda: ingesting.post("task_executions", in_chunks(over_limit)),
        ),
        "a gzip body that inflates over the limit": (
            413,
            lambda: ingesting.post("task_executions", inflating, **{"Content-Encoding": "gzip"}),
        ),
    }
    for kind, (status, send) in refusals.items():
        answer = send()
        assert answer.status_code == status, (kind, answer.text)
        assert set(answer.json()) >= {"error"}, kind
    assert loads(url) == before

    # A broken gzip body reaches the loader, which records the failed load with its reason.
    broken = ingesting.post(
        "task_executions", gzip.compress(body)[:-12], **{"Content-Encoding": "gzip"}
    )
    assert broken.status_code == 400, broken.text
    assert "nothing of it was landed" in broken.json()["error"]
    (failed,) = loads(url)[len(before) :]
    assert (failed[1], failed[3]) == ("task_executions", "failed")
    assert failed[2].startswith(f"http-{KEY_NAME}-")
    assert rows(url, f"select count(*) from raw.task_executions where _load_id = {failed[0]}") == [
        (0,)
    ]
