"""The CLI run in a fork of an interpreter that has imported it already (for conftest.cli).

The tests call `routing-analytics` about 200 times; a new interpreter pays about 0.5 s of CPU
to import the CLI each time, `run` and `check` 3 s more for Great Expectations, and each
dbt command 2 s more for dbt. Here one server process per pytest worker imports all of it
once, then forks one child per command.
The child is the command as a new process would run it: its own environment, working folder,
argv, standard streams (stdin from /dev/null, stdout and stderr into files) and exit code;
it executes `python -m routing_analytics` (runpy, as the interpreter does). Only the
imports are shared, and they happened before any command ran.

Protocol: one JSON request per line on the server's stdin ({"args", "env", "cwd", "stdout",
"stderr"}); one JSON answer per line on its stdout ({"returncode"}).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import runpy
import shutil
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import IO, Any

from routing_analytics.warehouse.dbt import DBT_ENTRY_MODULE, exit_status


class PrewarmedCli:
    """A server process of this module, started on the first call and asked one command at
    a time; a call made while it is busy (from another thread) gets None: run it afresh."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._server: subprocess.Popen[str] | None = None
        self._busy = threading.Lock()
        self._calls = 0

    def run(self, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str] | None:
        if not self._busy.acquire(blocking=False):
            return None
        try:
            return self._run(args, env)
        finally:
            self._busy.release()

    def _run(self, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        server = self._started()
        self._calls += 1
        out, err = (self._folder / f"{self._calls}.{name}" for name in ("stdout", "stderr"))
        request = {
            "args": args,
            "env": env,
            "cwd": os.getcwd(),
            "stdout": str(out),
            "stderr": str(err),
        }
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        answer = server.stdout.readline()
        if not answer:
            raise RuntimeError(f"the prewarmed CLI server exited ({server.wait()})")
        return subprocess.CompletedProcess(
            [sys.executable, "-m", "routing_analytics", *args],
            json.loads(answer)["returncode"],
            _read_and_remove(out),
            _read_and_remove(err),
        )

    def _started(self) -> subprocess.Popen[str]:
        if self._server is None or self._server.poll() is not None:
            self._folder.mkdir(parents=True, exist_ok=True)
            self._server = subprocess.Popen(
                [sys.executable, __file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        return self._server

    def close(self) -> None:
        if self._server is not None and self._server.poll() is None:
            assert self._server.stdin is not None
            self._server.stdin.close()
            self._server.wait(timeout=30)
        shutil.rmtree(self._folder, ignore_errors=True)


def _read_and_remove(path: Path) -> str:
    # Text mode as subprocess.run(text=True) decodes: the locale's encoding, universal newlines.
    text = path.read_text()
    path.unlink()
    return text


# The CLI and what its commands import later: Great Expectations (run, check), the API
# (serve), and dbt, which run_dbt then runs in a fork of the command (DBT_ENTRY_MODULE)
# instead of a new interpreter that imports it again (2 s of CPU per dbt command).
PREIMPORTED = (
    "routing_analytics.cli",
    "routing_analytics.operations.expectations",
    "routing_analytics.api.app",
    DBT_ENTRY_MODULE,
)


def serve(requests: IO[str], answers: IO[str]) -> None:
    """The server: import everything the commands import, then fork a child per request."""
    for module in PREIMPORTED:
        importlib.import_module(module)
    # A fork copies only the thread that forks: the imports must have started no other.
    assert threading.active_count() == 1, threading.enumerate()
    for line in requests:
        child = os.fork()
        if child == 0:
            _command(json.loads(line))
        _, status = os.waitpid(child, 0)
        answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        answers.flush()


def _command(request: dict[str, Any]) -> None:
    """In the child: become the command's process, run it, exit with its code."""
    code: object = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for fd, path, flags in (
            (0, os.devnull, os.O_RDONLY),
            (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ):
            opened = os.open(path, flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        sys.argv = [str(Path(sys.executable).parent / "routing-analytics"), *request["args"]]
        runpy.run_module("routing_analytics", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exiting:
        code = exiting.code
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        # As the interpreter ends: wait for the threads that are not daemons, then atexit.
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(ValueError, OSError):  # closed: nothing left to write
                stream.flush()
        os._exit(exit_status(code))


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout)
