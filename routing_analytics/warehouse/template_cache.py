"""Keeps the Python code that dbt compiles from its Jinja templates on disk, between dbt runs.

dbt renders each template in a Jinja environment of its own, so Jinja's caches never hit, and
every dbt process compiles every macro and model it uses from source again: about a tenth of
the CPU of a scheduled run's build (docs/benchmarks.md). Jinja's FileSystemBytecodeCache
keeps that code, one file per template, under a key made of everything the compiled code
depends on: the source, the environment's class, syntax, filters, tests and extensions, and
the versions of Jinja and dbt. The code of another Python version fails the cache's own
header check and is compiled again. The files are written by this user only (0600), in its
state folder; a cache folder with more than max_files files is cleared (old templates pile up
as the project changes).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
from dbt_common.clients import jinja as dbt_jinja
from jinja2.bccache import FileSystemBytecodeCache

MAX_FILES = 20_000
# What the code Jinja generates depends on besides the source (Environment's options).
SYNTAX_OPTIONS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
)
VERSIONS = (jinja2.__version__, version("dbt-core"), version("dbt-common"))


def keep_compiled_templates(folder: Path, max_files: int = MAX_FILES) -> None:
    """From now on, dbt's environments compile each template once per `folder`. A folder
    that cannot be made or written leaves dbt as it was: a cache never stops a build."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        cache = FileSystemBytecodeCache(str(folder))
        if sum(1 for _ in folder.iterdir()) > max_files:
            cache.clear()
    except OSError:
        return
    compile_from_source: Callable[..., Any] = dbt_jinja.MacroFuzzEnvironment.compile

    def compile_once(
        environment: jinja2.Environment,
        source: Any,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        # Raw Python source, a parsed template, or dbt's macro debugging (which registers
        # each compiled source for tracebacks as it compiles): as dbt would.
        if raw or not isinstance(source, str) or dbt_jinja.MACRO_DEBUGGING:
            return compile_from_source(environment, source, name, filename, raw, defer_init)
        key = template_key(environment, source, name, defer_init)
        bucket = cache.get_bucket(environment, key, filename, source)
        if bucket.code is None:
            code: CodeType = compile_from_source(
                environment, source, name, filename, False, defer_init
            )
            bucket.code = code
            with contextlib.suppress(OSError):
                cache.set_bucket(bucket)
        return bucket.code

    # NativeSandboxEnvironment, dbt's other environment, is a MacroFuzzEnvironment.
    dbt_jinja.MacroFuzzEnvironment.compile = compile_once  # type: ignore[method-assign,assignment]


def template_key(
    environment: jinja2.Environment, source: str, name: str | None, defer_init: bool
) -> str:
    """Everything the compiled code of `source` depends on, hashed."""
    environment_class = type(environment)
    parts = (
        VERSIONS,
        f"{environment_class.__module__}.{environment_class.__qualname__}",
        [getattr(environment, option) for option in SYNTAX_OPTIONS],
        # A callable decides per template at run time; a bool is compiled in.
        environment.autoescape if isinstance(environment.autoescape, bool) else "callable",
        getattr(environment.finalize, "__qualname__", None),
        sorted(environment.filters),
        sorted(environment.tests),
        sorted(environment.extensions),
        name,
        defer_init,
        hashlib.sha256(source.encode()).hexdigest(),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()
