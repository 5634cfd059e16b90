"""Run dbt against the configured database, with its connection taken from our one setting."""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import multiprocessing.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Mapping
from pathlib import Path

from loader.raw_schema import apply_raw_ddl
from routing_analytics.platform import db, embedded
from routing_analytics.platform.config import Settings, dbt_environment
from routing_analytics.platform.errors import TerminalError, UserError

PR_SET_PDEATHSIG = 1  # linux/prctl.h
# dbt's unit tests check the project's SQL, not the data: the scheduled run and the demo
# leave them to `make test` and `make test-fast`.
WITHOUT_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


def ensure_database(settings: Settings) -> None:
    """Start the embedded server when it is the one in use; an external one must be up."""
    if settings.embedded:
        embedded.start(settings)


def dbt_env(settings: Settings) -> dict[str, str]:
    profiles_dir = settings.state_dir / "dbt"
    profiles_dir.mkdir(parents=True, exist_ok=True)
    example = settings.project_dir / "profiles.yml.example"
    if not example.exists():
        raise UserError(f"{example} is missing; run from the repository")
    target = profiles_dir / "profiles.yml"
    if not target.exists() or target.read_text() != example.read_text():
        shutil.copyfile(example, target)
    return {**os.environ, **dbt_environment(settings), "DBT_PROFILES_DIR": str(profiles_dir)}


def executable(name: str) -> str:
    """A tool installed in our virtualenv (beside this Python), else on PATH."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        raise UserError(f"{name} is not installed; run `make install` (or `make demo`) first")
    return found


def apply_source_ddl(settings: Settings) -> None:
    """dbt reads the loader's tables (raw, and the retention books) as sources: bring them to
    this version's DDL first, so that a database loaded by an older version builds."""
    with db.connect(settings) as conn:
        apply_raw_ddl(conn)


def run_dbt(
    settings: Settings,
    args: list[str],
    *,
    check: bool = False,
    env: Mapping[str, str] | None = None,
) -> int:
    """`env`: more environment variables for dbt (values that change on every run go there,
    not in --vars: new vars make dbt parse the whole project again)."""
    ensure_database(settings)
    apply_source_ddl(settings)
    dbt_args = [*args, "--project-dir", str(settings.project_dir)]
    environment = {**dbt_env(settings), **(env or {})}
    environment.setdefault(TEMPLATE_CACHE_VAR, str(settings.state_dir / "dbt" / "templates"))
    if DBT_ENTRY_MODULE in sys.modules and threading.active_count() == 1:
        returncode = _dbt_in_fork(dbt_args, environment)
    else:
        # -P: the working directory's modules do not shadow dbt's.
        command = [sys.executable, "-P", "-m", DBT_ENTRY_MODULE, *dbt_args]
        returncode = subprocess.run(
            command, env=environment, check=False, preexec_fn=_die_with_parent
        ).returncode
    if returncode != 0 and check:
        raise TerminalError(f"dbt {args[0]} failed (exit {returncode}); see its output")
    return returncode


# dbt's command line with its compiled templates kept (in a folder this variable names).
DBT_ENTRY_MODULE = "routing_analytics.warehouse.dbt_command"
TEMPLATE_CACHE_VAR = "ANALYTICS_DBT_TEMPLATE_CACHE"


def _dbt_in_fork(dbt_args: list[str], environment: Mapping[str, str]) -> int:
    """dbt as its executable would run, in a fork of this interpreter: for a long-lived
    caller that has imported dbt already (the tests' prewarmed CLI), which saves the 2 s of
    CPU a new interpreter spends importing it. Only from a process of one thread: a fork
    copies only the thread that forks, and a lock another thread held would stay locked."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    child = os.fork()
    if child == 0:
        code: object = 1
        try:
            _die_with_parent()
            os.environ.clear()
            os.environ.update(environment)
            sys.argv = ["dbt", *dbt_args]
            code = importlib.import_module(DBT_ENTRY_MODULE).main()
        except SystemExit as exiting:
            code = exiting.code
        except BaseException:
            traceback.print_exc()
        finally:
            # What the interpreter's exit would do for dbt: release the semaphores of its
            # connection locks (the resource tracker warns of leaks otherwise), flush.
            multiprocessing.util._exit_function()  # type: ignore[attr-defined]
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(ValueError, OSError):
                    stream.flush()
            os._exit(exit_status(code))
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


def exit_status(code: object) -> int:
    """What the interpreter makes of SystemExit's code, for a fork that ends with os._exit:
    None 0, an int itself (as the system keeps it), anything else printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    sys.stderr.flush()
    return 1


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies. A `run` killed with -9 would
    otherwise leave dbt building on its own, without the run's lock, beside the next run."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def run_sqlfluff(settings: Settings, args: list[str]) -> int:
    """sqlfluff's dbt templater compiles the models, so it needs the same connection as dbt."""
    ensure_database(settings)
    command = [executable("sqlfluff"), *args]
    return subprocess.run(
        command, env=dbt_env(settings), cwd=settings.project_dir, check=False
    ).returncode
