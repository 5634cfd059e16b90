"""The command line: clear one-line errors, exit codes, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from loader.config import dbt_environment, load_settings


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loader", *args],
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
