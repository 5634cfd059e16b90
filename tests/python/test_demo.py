"""`routing-analytics demo`: the whole job on a small sample, and again on a later day."""

from __future__ import annotations

import json

import jwt
import pytest
from conftest import cli

pytestmark = pytest.mark.integration

SMALL = ("--tenants", "3", "--days", "3", "--executions", "1500")


def test_a_second_demo_on_a_later_day_reuses_its_sample_and_passes(cli_env, tmp_path, conn):
    sample = tmp_path / "demo"
    first = cli(cli_env, "demo", *SMALL, "--out", str(sample))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "demo: generating 1500 executions" in first.stdout
    # Models and data tests, not dbt's unit tests (they check the SQL; make test runs them).
    assert "START test " in first.stdout
    assert "START unit_test " not in first.stdout
    # It ends with the dashboard's address and a token that opens it for one tenant.
    assert "http://127.0.0.1:8710/" in first.stdout
    token = first.stdout.split("with this token (1 day):\n", 1)[1].split()[0]
    secret = (tmp_path / "state" / "jwt-development.secret").read_bytes().strip()
    tenant = jwt.decode(token, secret, algorithms=["HS256"])["tenant_id"]
    assert f"sign in as {tenant} with this token" in first.stdout
    last_load = conn.execute("select max(load_id) from raw.loads").fetchone()[0]

    # The same sample on another day: the marker says when it was made; nothing else differs.
    marker = sample / ".sample.json"
    kept = json.loads(marker.read_text())
    marker.write_text(json.dumps({**kept, "generated_on": "2026-01-01"}))
    files_before = {path.name: path.read_bytes() for path in sample.iterdir()}
    second = cli(cli_env, "demo", *SMALL, "--out", str(sample))
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "reusing the sample generated on 2026-01-01" in second.stdout
    assert {path.name: path.read_bytes() for path in sample.iterdir()} == files_before
    skipped, new = conn.execute(
        "select count(*) filter (where status = 'skipped'),"
        " count(*) filter (where status <> 'skipped') from raw.loads where load_id > %s",
        (last_load,),
    ).fetchone()
    assert (skipped, new) == (len([p for p in files_before if not p.startswith(".")]), 0)
