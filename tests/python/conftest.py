"""Fixtures: one throwaway PostgreSQL server per test session, one fresh database per test.

With ANALYTICS_DATABASE_URL set (as `make test` does), that server hosts the test databases;
otherwise a throwaway embedded server is started for the session.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from prewarmed import PrewarmedCli
from xdist.scheduler import LoadScopeScheduling

from loader.privacy import Pseudonymiser
from routing_analytics.platform.config import DATABASE_URL_VAR, Settings, load_settings
from routing_analytics.platform.throwaway import (
    create_database,
    database_name,
    drop_database,
    throwaway_database,
    throwaway_server,
)
from routing_analytics.tools.generate import GenerateOptions, GenerateResult, generate
from routing_analytics.warehouse.dbt import TEMPLATE_CACHE_VAR, WITHOUT_UNIT_TESTS

DBT_FOLDER = pytest.StashKey[Path]()


# Modules whose tests share one warehouse that they change, in order: one worker runs each.
SHARED_WAREHOUSE_MODULES = frozenset(
    {"test_retention.py", "test_gdpr.py", "test_incremental_marts.py"}
)
# And modules of quick tests of one costly module fixture (the project rules' `dbt parse`, the
# dashboard queries' `dbt compile`): on one worker, it is made once instead of once per worker.
ONE_WORKER_MODULES = SHARED_WAREHOUSE_MODULES | {
    "test_project_rules.py",
    "test_dashboard_queries.py",
}


class OneWorkerPerSharedModule(LoadScopeScheduling):
    """xdist's `--dist load`, except that the tests of a module in ONE_WORKER_MODULES go
    to one worker (xdist's own xdist_group marker does nothing under pytest 9). Modules
    with the most tests are handed out first (xdist's loadscope order)."""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if module.rsplit("/", 1)[-1] in ONE_WORKER_MODULES else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> OneWorkerPerSharedModule:
    return OneWorkerPerSharedModule(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need a database first: the quick ones then fill the workers' last minutes."""
    items.sort(key=lambda item: item.get_closest_marker("integration") is None)


def pytest_configure(config: pytest.Config) -> None:
    """Each pytest process (every xdist worker) gets dbt target and log folders of its own:
    dbt processes sharing target/ overwrite each other's manifest and run results, and the
    developer's own target/ stays as it was. dbt writes no log file unless asked."""
    folder = Path(tempfile.mkdtemp(prefix="routing-analytics-dbt-"))
    config.stash[DBT_FOLDER] = folder
    os.environ["DBT_TARGET_PATH"] = str(folder / "target")
    os.environ["DBT_LOG_PATH"] = str(folder / "logs")
    # dbt's debug file log costs a tenth of its CPU on every invocation, and the tests read
    # what dbt prints, never its file (DBT_LOG_LEVEL_FILE=debug in the shell to keep it).
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "none")
    # The code dbt compiles from templates is kept across the tests of a worker, as across
    # the runs of one deployment (routing_analytics/warehouse/template_cache.py).
    os.environ.setdefault(TEMPLATE_CACHE_VAR, str(folder / "templates"))


def worker_folder() -> Path:
    """This pytest process's folder of dbt targets and saved parses (pytest_configure)."""
    return Path(os.environ["DBT_TARGET_PATH"]).parent


def pytest_unconfigure(config: pytest.Config) -> None:
    PREWARMED.close()
    if DBT_FOLDER in config.stash:
        shutil.rmtree(config.stash[DBT_FOLDER], ignore_errors=True)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    settings = load_settings()
    if os.environ.get(DATABASE_URL_VAR):
        yield settings.database_url
        return
    with throwaway_server(settings, durable=False) as url:
        yield url


def worker_database_name(server_url: str) -> str | None:
    """The name of this worker's database of the test it runs, or None while a database of
    that name exists (a test that wants two). dbt's saved parse names the database, and dbt
    parses the whole project again (about 5 s of CPU) when the name changes: the tests of one
    worker, which run one after the other, give their new databases one name, so that each
    reuses the parse the test before left (`cli`)."""
    name = f"ra_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        taken = conn.execute(
            "select exists (select from pg_catalog.pg_database where datname = %s)", (name,)
        ).fetchone()
        return None if taken == (True,) else name


@pytest.fixture
def database_url(server_url: str) -> Iterator[str]:
    with throwaway_database(server_url, worker_database_name(server_url)) as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return settings_for(database_url, tmp_path / "state")


def settings_for(url: str, state_dir: Path) -> Settings:
    """The settings of the commands' code against the database of `url`."""
    return replace(load_settings(), database_url=url, embedded=False, state_dir=state_dir)


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for running the CLI as a subprocess against the test database."""
    return cli_environment(database_url, tmp_path / "state")


def cli_environment(url: str, state_dir: Path) -> dict[str, str]:
    """This process's environment for the CLI against the database of `url`, with a dbt
    target folder of this worker (never the one of the worker that built a shared
    warehouse) and database name: dbt keeps the parse of the last command there."""
    target = worker_folder() / "target" / database_name(url)
    return {
        **os.environ,
        DATABASE_URL_VAR: url,
        "ANALYTICS_STATE_DIR": str(state_dir),
        "DBT_TARGET_PATH": str(target),
    }


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(bytes(range(32)))


@dataclass(frozen=True)
class Warehouse:
    url: str
    generated: GenerateResult
    env: dict[str, str]
    template_url: str | None = None  # a pristine copy to clone, of a shared warehouse


PARSE_FILE = "partial_parse.msgpack"  # dbt's saved parse, in a target folder
# This process's CLI server (prewarmed.py): the commands without their imports' cost.
PREWARMED = PrewarmedCli(Path(tempfile.gettempdir()) / f"routing-analytics-cli-{os.getpid()}")


def cli(
    env: dict[str, str], *args: str, reuse_parse: bool = True
) -> subprocess.CompletedProcess[str]:
    """The CLI as a subprocess. `run` and `check` keep dbt's parse in the state folder,
    which is new in each test: unless reuse_parse is false, the parse this worker last
    saved for the same database name and folder is put there first (as if the tests of a
    worker were one deployment), and the one the command leaves is kept for the next."""
    reuse_parse = reuse_parse and DATABASE_URL_VAR in env and "ANALYTICS_STATE_DIR" in env
    if reuse_parse:
        state = Path(env["ANALYTICS_STATE_DIR"]) / "dbt"
        saved = worker_folder() / "parses" / database_name(env[DATABASE_URL_VAR])
        _copy_parses(saved, state)
    completed = PREWARMED.run(list(args), env) or subprocess.run(
        [sys.executable, "-m", "routing_analytics", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if reuse_parse:
        _copy_parses(state, saved)
    return completed


def _copy_parses(source: Path, destination: Path) -> None:
    for parse in source.glob(f"**/{PARSE_FILE}"):
        copy = destination / parse.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(parse, copy)


# dbt's unit tests take longer than all the data tests of a build together, and they test the
# models' SQL, not the data: they run once per test session, in the build of the shared
# `warehouse` (and in `make test-fast`); every other build of a test leaves them out, with the
# arguments the scheduled run and the demo use (WITHOUT_UNIT_TESTS, imported above).


def load_and_build(
    url: str,
    folder: Path,
    options: GenerateOptions,
    before_build: Callable[[str, GenerateResult], None] | None = None,
    *,
    unit_tests: bool = False,
) -> Warehouse:
    """Generated data loaded into the database of `url` and built with dbt build
    --full-refresh (state, such as the pseudonym key, in folder/state); dbt's unit tests
    only when asked."""
    generated = generate(options)
    env = cli_environment(url, folder / "state")
    loaded = cli(env, "load", str(options.out_dir))
    assert loaded.returncode == 0, loaded.stderr
    if before_build is not None:
        before_build(url, generated)
    built = cli(
        env, "build", "--full-refresh", *(() if unit_tests else ("--", *WITHOUT_UNIT_TESTS))
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]
    return Warehouse(url=url, generated=generated, env=env)


@contextmanager
def built_database(
    server_url: str,
    folder: Path,
    options: GenerateOptions,
    before_build: Callable[[str, GenerateResult], None] | None = None,
) -> Iterator[Warehouse]:
    """A fresh database of its own, loaded and built (load_and_build), dropped afterwards."""
    with throwaway_database(server_url, worker_database_name(server_url)) as url:
        yield load_and_build(url, folder, options, before_build)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def shared_warehouse(
    server_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    key: str,
    build: Callable[[str, Path], Warehouse],
) -> Iterator[Warehouse]:
    """One warehouse for all the xdist workers of a test run, built once into a template
    database that nobody connects to; the tests read a copy of it, and a test that changes
    it asks for a copy of its own (`warehouse_copy`). The first worker that needs it builds
    it, the last one done with it drops it (a worker that needs it after that builds it
    again). Each worker gets a copy of the state folder, so that commands in two workers
    never write into one dbt target."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    book, lock, folder = root / f"{key}.pickle", root / f"{key}.lock", root / key
    with _locked(lock):
        users, built = pickle.loads(book.read_bytes()) if book.exists() else (0, None)
        if built is None:
            built = _build_template(server_url, folder, build)
        book.write_bytes(pickle.dumps((users + 1, built)))
    state = tmp_path_factory.mktemp(f"{key}-state")
    shutil.copytree(folder / "state", state, dirs_exist_ok=True)
    try:
        yield replace(built, env=cli_environment(built.url, state))
    finally:
        with _locked(lock):
            users, built = pickle.loads(book.read_bytes())
            if users == 1:
                for url in (built.url, built.template_url):
                    drop_database(server_url, url)
                built = None
            book.write_bytes(pickle.dumps((users - 1, built)))


def _build_template(
    server_url: str, folder: Path, build: Callable[[str, Path], Warehouse]
) -> Warehouse:
    shutil.rmtree(folder, ignore_errors=True)
    template = create_database(server_url)
    try:
        built = build(template, folder)
        url = create_database(server_url, template=template)
    except BaseException:
        drop_database(server_url, template)
        raise
    return replace(built, url=url, template_url=template)


@contextmanager
def copy_of(built: Warehouse, server_url: str, folder: Path) -> Iterator[Warehouse]:
    """A database of its own copied from the template of a shared warehouse, with a copy of
    its state folder: for a test that changes what it is given."""
    assert built.template_url is not None
    url = create_database(
        server_url, template=built.template_url, name=worker_database_name(server_url)
    )
    state = folder / "copied-state"
    shutil.copytree(built.env["ANALYTICS_STATE_DIR"], state)
    try:
        yield replace(built, url=url, env=cli_environment(url, state))
    finally:
        drop_database(server_url, url)


@pytest.fixture
def warehouse_copy(warehouse: Warehouse, server_url: str, tmp_path: Path) -> Iterator[Warehouse]:
    """The session warehouse, copied for a test that changes it."""
    with copy_of(warehouse, server_url, tmp_path) as copied:
        yield copied


@pytest.fixture(scope="session")
def published(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """A small warehouse as one `routing-analytics run` of a generated inbox published it
    (3 tenants, 2 days, 1,500 tasks, no faults): where the tests of later runs start."""

    def run_once(url: str, folder: Path) -> Warehouse:
        inbox = folder / "inbox"
        options = GenerateOptions(
            out_dir=inbox, tenants=3, days=2, executions=1_500, seed=5, end_date=date(2026, 11, 20)
        )
        generated = generate(options)
        env = cli_environment(url, folder / "state")
        first = cli(env, "run", str(inbox))
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
        return Warehouse(url=url, generated=generated, env=env)

    with shared_warehouse(server_url, tmp_path_factory, "published", run_once) as built:
        yield built


@pytest.fixture
def published_copy(published: Warehouse, server_url: str, tmp_path: Path) -> Iterator[Warehouse]:
    """The published warehouse, copied for a test that loads, runs or withdraws."""
    with copy_of(published, server_url, tmp_path) as copied:
        yield copied


@pytest.fixture(scope="session")
def warehouse(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Fixture data with faults, loaded and built once per test run (dbt build
    --full-refresh: models, data tests, and the session's one run of dbt's unit tests).
    Shared: tests read it and must not change it."""

    def build(url: str, folder: Path) -> Warehouse:
        options = GenerateOptions(
            out_dir=folder / "data",
            tenants=4,
            days=4,
            executions=6_000,
            seed=11,
            end_date=date(2026, 11, 20),
            faults=True,
        )

        def land_one_by_hand(url: str, generated: GenerateResult) -> None:
            land_by_hand(url, generated.files["task_executions"][0])

        return load_and_build(url, folder, options, land_one_by_hand, unit_tests=True)

    with shared_warehouse(server_url, tmp_path_factory, "warehouse", build) as built:
        yield built


HAND_LANDED_ID = "0b0b0b0b-0000-4000-8000-000000000001"
HAND_LANDED_BAIT = ("/srv/handmade", "ops@handmade.example", "sk-handmade0123456789abcdef")


def land_by_hand(url: str, task_file: Path) -> None:
    """A valid task written straight into raw, as an older loader or a person might have."""
    with task_file.open("rb") as lines:
        record = json.loads(next(lines))
    record.update(
        id=HAND_LANDED_ID,
        status="failed",
        error_message="crash in /srv/handmade/y.py, key sk-handmade0123456789abcdef",
        metadata={
            "editor": "vim",
            "file_path": "/srv/handmade/x.py",
            "note": "ping ops@handmade.example",
        },
    )
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into raw.task_executions (_load_id, _source_file, _line_number, record)"
            " values (0, 'by-hand', 1, %s)",
            (json.dumps(record),),
        )


def rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def plan_scans(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(relation, node type) of every scan in an EXPLAIN (format json) plan."""
    found = [(plan["Relation Name"], plan["Node Type"])] if "Relation Name" in plan else []
    for child in plan.get("Plans", []):
        found += plan_scans(child)
    return found


def conservative_figures(savings: Decimal, baseline: Decimal) -> tuple[Decimal, Decimal | None]:
    """The shown savings and savings percentage by the documented rule, recomputed in Python
    (exact fractions): floored, never rounded up; a loss shown as a loss (its percentage
    null without a positive baseline); positive savings under 1 % of the baseline as 0, and
    the percentage 0 too when the savings show as $0.00 (under a cent)."""
    if savings < 0 or (baseline > 0 and 100 * savings >= baseline):
        shown = Decimal(math.floor(Fraction(savings) * 100)).scaleb(-2)
        if baseline <= 0:
            return shown, None
        if shown == 0:
            return shown, Decimal(0)
        return shown, Decimal(math.floor(Fraction(100 * savings) / Fraction(baseline)))
    return Decimal(0), Decimal(0)


API_POOL_SIZE = "3"


@dataclass(frozen=True)
class Service:
    base_url: str
    warehouse: Warehouse
    tenants: tuple[str, ...]

    tokens: dict[str, str] = field(default_factory=dict, compare=False)

    def token(self, tenant: str) -> str:
        """A token minted by `routing-analytics token` (valid a day), once per tenant."""
        if tenant not in self.tokens:
            minted = cli(self.warehouse.env, "token", "--tenant", tenant)
            assert minted.returncode == 0, minted.stderr
            self.tokens[tenant] = minted.stdout.strip()
        return self.tokens[tenant]

    def get(self, path: str, tenant: str, **params: object) -> httpx.Response:
        return httpx.get(
            self.base_url + path,
            params=params,
            headers={"Authorization": f"Bearer {self.token(tenant)}"},
            timeout=30,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_service(env: dict[str, str]) -> Iterator[str]:
    """`routing-analytics serve` on a free loopback port until the block ends."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "routing_analytics", "serve", "--port", str(port)],
        env={**env, "ANALYTICS_API_POOL_SIZE": API_POOL_SIZE},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                pytest.fail(f"serve exited: {server.communicate()[0]}")
            try:
                if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("serve did not answer /healthz within 30 s")
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def api_warehouse(server_url, tmp_path_factory) -> Iterator[Warehouse]:
    """3 tenants over the last 2 days up to now (so that "this month" and "the last 7 days"
    hold tasks), published by one `run`: what the API's tests serve. Shared: read only."""

    def run_once(url: str, folder):
        inbox = folder / "inbox"
        today = datetime.now(UTC).date()
        generated = generate(
            GenerateOptions(
                out_dir=inbox, tenants=3, days=2, executions=1_500, seed=21, end_date=today
            )
        )
        env = cli_environment(url, folder / "state")
        published = cli(env, "run", str(inbox))
        assert published.returncode == 0, published.stdout[-3000:] + published.stderr[-2000:]
        return Warehouse(url=url, generated=generated, env=env)

    with shared_warehouse(server_url, tmp_path_factory, "api", run_once) as built:
        yield built


@pytest.fixture(scope="module")
def service(api_warehouse: Warehouse) -> Iterator[Service]:
    """The API warehouse served by one service for the module."""
    tenants = tuple(
        tenant
        for (tenant,) in rows(
            api_warehouse.url, "select distinct tenant_id from analytics.task_executions order by 1"
        )
    )
    with running_service(api_warehouse.env) as base_url:
        yield Service(base_url, api_warehouse, tenants)
