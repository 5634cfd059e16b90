"""The command line: clear one-line errors, exit codes, no tracebacks."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from conftest import PREWARMED, cli_environment

from routing_analytics.cli import _parser
from routing_analytics.platform.config import dbt_environment, load_settings


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "routing_analytics", *args],
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, text: str):
    assert result.returncode == code
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("routing-analytics: error:")
    assert text in lines[0]


def test_missing_file_is_a_user_error(tmp_path, cli_env):
    result = run_cli("load", str(tmp_path / "task_executions_missing.jsonl"), env=cli_env)
    assert_one_line_error(result, 2, "no such file or folder")


def test_unknown_stream_name_is_a_user_error(tmp_path, cli_env):
    path = tmp_path / "whatever.jsonl"
    path.write_text("{}\n")
    result = run_cli("load", str(path), env=cli_env)
    assert_one_line_error(result, 2, "cannot tell the stream from the file name")
    result = run_cli("load", "--stream", "nope", str(path), env=cli_env)
    assert_one_line_error(result, 2, "unknown stream 'nope'")


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("mysql://x@localhost/db", "must be a postgresql:// URL"),
        ("postgresql://x@localhost", "must name a database"),
        ("postgresql://x@localhost:99999/db", "bad port"),
    ],
)
def test_bad_database_url_is_a_user_error(url, text):
    result = run_cli("db", "url", env={**os.environ, "ANALYTICS_DATABASE_URL": url})
    assert_one_line_error(result, 2, text)


def test_unreachable_server_says_so_in_one_line(tmp_path):
    path = tmp_path / "tenants.csv"
    path.write_text("tenant_id,default_provider,plan\nt1,openai,pro\n")
    env = {
        **os.environ,
        "ANALYTICS_DATABASE_URL": "postgresql://x:secret@127.0.0.1:1/db",
        "ANALYTICS_STATE_DIR": str(tmp_path),
    }
    result = run_cli("load", str(path), env=env)
    assert_one_line_error(result, 75, "cannot connect to postgresql://x:***@127.0.0.1:1/db")
    assert "secret" not in result.stderr


def test_external_server_cannot_be_started(cli_env):
    result = run_cli("db", "start", env=cli_env)
    assert_one_line_error(result, 2, "cannot start an external server")


@pytest.mark.integration
def test_load_prints_one_structured_line_per_file(tmp_path, cli_env):
    path = tmp_path / "tenants.csv"
    path.write_text("tenant_id,default_provider,plan\nt1,openai,pro\nbroken\n")
    result = run_cli("load", "--json", str(path), env=cli_env)
    assert result.returncode == 0, result.stderr
    assert '"status":"succeeded"' in result.stdout
    assert '"landed":1' in result.stdout
    assert '"quarantined":1' in result.stdout


def test_dbt_connection_comes_from_the_one_url():
    settings = replace(
        load_settings(),
        database_url="postgresql://ana:p%40ss@db.internal:6543/warehouse?sslmode=require",
    )
    assert dbt_environment(settings) == {
        "ANALYTICS_DB_HOST": "db.internal",
        "ANALYTICS_DB_PORT": "6543",
        "ANALYTICS_DB_USER": "ana",
        "ANALYTICS_DB_PASSWORD": "p@ss",
        "ANALYTICS_DB_NAME": "warehouse",
        "ANALYTICS_DB_SSLMODE": "require",
        "PGTZ": "UTC",
    }


def test_db_url_masks_a_password_unless_asked():
    env = {**os.environ, "ANALYTICS_DATABASE_URL": "postgresql://ana:s3cret@db:5432/wh"}
    assert run_cli("db", "url", env=env).stdout.strip() == "postgresql://ana:***@db:5432/wh"
    shown = run_cli("db", "url", "--with-password", env=env).stdout.strip()
    assert shown == "postgresql://ana:s3cret@db:5432/wh"


def test_a_wrong_database_or_host_is_a_configuration_error(server_url, tmp_path):
    """Exit 2 (fix the setting), not 75 (try again later): these fail the same way next
    time. A refused connection stays 75 (test above)."""
    path = tmp_path / "tenants.csv"
    path.write_text("tenant_id,default_provider,plan\nt1,openai,pro\n")
    missing_database = server_url.rsplit("/", 1)[0] + "/no_such_database"
    for url, text in (
        (missing_database, 'database "no_such_database" does not exist'),
        ("postgresql://x@no-such-host.invalid:5432/db", "failed to resolve host"),
    ):
        env = cli_environment(url, tmp_path)
        result = run_cli("load", str(path), env=env)
        assert_one_line_error(result, 2, text)
        assert "check the database URL" in result.stderr


def test_an_empty_file_loads_with_a_warning(tmp_path, cli_env):
    path = tmp_path / "usage_events.jsonl"
    path.write_text("")
    result = run_cli("load", str(path), env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "status=succeeded" in result.stdout and "lines=0" in result.stdout
    assert result.stderr.strip() == (
        "routing-analytics: warning: usage_events.jsonl: the file holds no records (empty);"
        " it is recorded as loaded"
    )


def test_version_and_every_option_is_described_with_its_default():
    version = run_cli("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("routing-analytics ")
    missing = []
    parsers = [("", _parser())]
    while parsers:
        name, parser = parsers.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers += [(f"{name} {sub}", child) for sub, child in action.choices.items()]
                continue
            if action.help in (None, argparse.SUPPRESS) and action.dest != "help":
                missing.append(f"{name} {action.dest}: no help")
            elif action.default not in (None, False, argparse.SUPPRESS) and "default" not in (
                action.help or ""
            ):
                missing.append(f"{name} {action.dest}: default {action.default!r} not said")
    assert missing == []


@pytest.mark.integration
def test_dbt_by_hand_after_one_eval(cli_env, database_url, tmp_path):
    """`eval "$(routing-analytics env)"` then plain dbt works from the project root, on the
    configured database; `routing-analytics dbt -- ARGS` passes anything on."""
    exported = run_cli("env", env=cli_env)
    assert exported.returncode == 0, exported.stderr
    shell = subprocess.run(
        [
            "bash",
            "-c",
            'eval "$1" && cd "$2" && "$3" ls --select stg_router__loads --quiet',
            "-",
            exported.stdout,
            str(load_settings().project_dir),
            str(Path(sys.executable).parent / "dbt"),
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        check=False,
    )
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert "stg_router__loads" in shell.stdout
    name = database_url.rsplit("/", 1)[1]
    assert f"export ANALYTICS_DB_NAME={name}" in exported.stdout
    passed = run_cli("dbt", "--", "ls", "--select", "stg_router__loads", "--quiet", env=cli_env)
    assert passed.returncode == 0, passed.stderr
    assert "stg_router__loads" in passed.stdout


def test_a_corrupt_gz_is_bad_input_in_one_line_and_nothing_lands(tmp_path, cli_env, conn):
    path = tmp_path / "usage_events.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + b"not a gzip stream at all" * 10)
    result = run_cli("load", str(path), env=cli_env)
    assert_one_line_error(result, 2, "usage_events.jsonl.gz: cannot read the file")
    assert result.stderr.count("usage_events.jsonl.gz") == 1
    status, landed = conn.execute(
        "select loads.status, (select count(*) from raw.usage_events)"
        " from raw.loads where source_file = 'usage_events.jsonl.gz'"
    ).fetchone()
    assert (status, landed) == ("failed", 0)


def test_a_batch_with_a_corrupt_file_loads_the_others_and_exits_2(tmp_path, cli_env, conn):
    (tmp_path / "usage_events.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    (tmp_path / "tenants.jsonl").write_text(
        '{"tenant_id": "tenant_a", "default_provider": "openai", "plan": "pro",'
        ' "created_at": "2026-11-01T00:00:00Z"}\n'
    )
    result = run_cli("load", str(tmp_path), env=cli_env)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert errors == [
        errors[0],
        "routing-analytics: error: 1 of 2 files failed to load",
    ]
    assert conn.execute("select count(*) from raw.tenants").fetchone() == (1,)


def test_csv_prices_that_are_not_plain_decimals_are_warned_about_with_their_line(
    tmp_path, cli_env, conn
):
    path = tmp_path / "provider_pricing.csv"
    path.write_text(
        "provider,model,pricing_model,input_cost_per_token,output_cost_per_token,effective_from\n"
        "openai,gpt-4o,token,0.0000025,1e-5,2026-01-01T00:00:00Z\n"
        'openai,gpt-4o-mini,token,"0,000002",0.0000006,2026-01-01T00:00:00Z\n'
        "openai,o3,token,1.2.3,0.000008,2026-01-01T00:00:00Z\n"
    )
    result = run_cli("load", str(path), env=cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "routing-analytics: warning: provider_pricing.csv: line 3: input_cost_per_token"
        " '0,000002' is not a plain decimal number (landed; staging rejects the record)",
        "routing-analytics: warning: provider_pricing.csv: line 4: input_cost_per_token"
        " '1.2.3' is not a plain decimal number (landed; staging rejects the record)",
    ]
    # Landed as sent, every line: staging decides, and says why.
    assert conn.execute("select count(*) from raw.provider_pricing").fetchone() == (3,)


@pytest.mark.integration
def test_create_login_gives_an_analyst_every_tenant_and_nothing_else(warehouse, tmp_path):
    env = {**warehouse.env, "ANALYTICS_STATE_DIR": str(tmp_path)}
    name = f"analyst_{os.getpid()}"
    with psycopg.connect(warehouse.url, autocommit=True) as owner:
        try:
            result = run_cli("create-login", name, env=env)
            assert result.returncode == 0, result.stderr
            password = result.stdout.rsplit(": ", 1)[1].strip()
            all_tenants = owner.execute(
                "select count(distinct tenant_id) from analytics.task_executions"
            ).fetchone()
            with psycopg.connect(
                warehouse.url, user=name, password=password, autocommit=True
            ) as analyst:
                seen = analyst.execute(
                    "select count(distinct tenant_id) from analytics.task_executions"
                ).fetchone()
                assert seen == all_tenants and seen[0] > 1
                limits = analyst.execute(
                    "select current_setting('idle_in_transaction_session_timeout'),"
                    " current_setting('statement_timeout')"
                ).fetchone()
                assert limits == ("1min", "1min")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    analyst.execute("select count(*) from raw.task_executions")
            again = run_cli("create-login", name, env=env)
            assert again.returncode == 0 and again.stdout != result.stdout  # a new password
            reader = run_cli("create-login", name, "--role", "reader", env=env)
            assert_one_line_error(reader, 2, "is not a reader login")
        finally:
            owner.execute(f"drop role if exists {name}")
    refused = run_cli("create-login", "pg_monitor", env=env)
    assert_one_line_error(refused, 2, "not starting with pg_")


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (("--start", "2026-12-01T00:00:00", "--end", "2026-12-01T01:00:00Z"), "give a UTC offset"),
        (("--start", "yesterday", "--end", "2026-12-01T01:00:00Z"), "not an ISO 8601 timestamp"),
        (("--start", "2026-12-01T00:00:00Z"), "--start and --end go together"),
    ],
)
def test_generate_refuses_a_wrong_span_in_one_line_and_writes_nothing(tmp_path, span, text):
    result = run_cli("generate", "--out", str(tmp_path), *span)
    assert text in result.stderr
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("no-such-command",),
        ("load", "/nonexistent/task_executions.jsonl"),
        ("generate", "--tenants", "1", "--days", "1", "--executions", "5", "--out", "{tmp}"),
        # dbt in a fork of the command (run_dbt), and a refusal with dbt's own usage line.
        ("dbt", "--", "ls", "--quiet", "--select", "calendar", "--output", "name"),
        ("dbt", "--", "ls", "--quiet", "--output", "no-such-format"),
    ],
)
def test_the_prewarmed_cli_answers_as_a_new_process_does(args, cli_env, tmp_path):
    """conftest.cli runs the commands in a fork of a server that has imported them
    (prewarmed.py), and dbt in a fork of the command: exit code, stdout, stderr and files
    must be those of new processes."""
    answers, outputs = [], []
    for attempt, runner in enumerate((run_cli, prewarmed_cli)):
        folder = tmp_path / str(attempt)
        completed = runner(*(arg.replace("{tmp}", str(folder)) for arg in args), env=cli_env)
        printed = (
            text.replace(str(folder), "{tmp}") for text in (completed.stdout, completed.stderr)
        )
        answers.append((completed.returncode, *printed))
        outputs.append(sorted(path.name for path in folder.glob("*")))
    assert answers[0] == answers[1]
    assert outputs[0] == outputs[1]
    assert answers[0][0] != 0 or answers[0][1], "the command printed nothing: nothing compared"


def prewarmed_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    completed = PREWARMED.run(list(args), env)
    assert completed is not None, "the prewarmed server was busy"
    return completed
