"""dbt's compiled templates are kept on disk between processes, per environment and source
(routing_analytics/warehouse/template_cache.py). Each case runs in a process of its own: the
cache changes dbt's Jinja environments for the rest of the process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Renders SOURCE (argv[3]) in dbt's text and native environments and prints both results'
# repr; with argv[2] == "cached", Jinja cannot generate code: every template must come from
# the cache folder argv[1]; with "vanished", the (empty) folder is gone before the first.
RENDER = """
import sys
from pathlib import Path

import jinja2
from dbt_common.clients import jinja

from routing_analytics.warehouse.template_cache import keep_compiled_templates

folder, mode, source = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
keep_compiled_templates(folder, max_files=int(sys.argv[4]))
if mode == "vanished":
    folder.rmdir()
if mode == "cached":
    def generate_nothing(*args, **kwargs):
        raise AssertionError("compiled again")
    jinja2.Environment._generate = generate_nothing
text = jinja.get_template(source, {}).render({"n": 3})
native = jinja.get_template(source, {}, native=True).render({"n": 3})
print(repr(text), repr(native))
"""
SOURCE = "{% set pair = [1, 2] %}{{ pair | length + n }}"


def _render(
    folder: Path, mode: str, source: str = SOURCE, max_files: int = 100
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RENDER, str(folder), mode, source, str(max_files)],
        capture_output=True,
        text=True,
        check=False,
    )


def _cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("__jinja2_*.cache"))


def test_a_template_compiled_by_one_process_is_read_by_the_next(tmp_path):
    folder = tmp_path / "templates"
    first = _render(folder, "compile")
    assert first.returncode == 0, first.stderr
    # One file per environment: the native one generates other code for the same source.
    assert len(_cache_files(folder)) == 2
    assert first.stdout.strip() == "'5' 5"
    assert folder.stat().st_mode & 0o077 == 0
    second = _render(folder, "cached")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout


def test_a_changed_template_is_compiled_again(tmp_path):
    folder = tmp_path / "templates"
    assert _render(folder, "compile").returncode == 0
    changed = _render(folder, "cached", SOURCE.replace("+ n", "+ n + 1"))
    assert changed.returncode == 1
    assert "compiled again" in changed.stderr
    compiled = _render(folder, "compile", SOURCE.replace("+ n", "+ n + 1"))
    assert compiled.stdout.strip() == "'6' 6"
    assert len(_cache_files(folder)) == 4


def test_a_full_cache_folder_is_cleared_before_use(tmp_path):
    folder = tmp_path / "templates"
    assert _render(folder, "compile").returncode == 0
    other = _render(folder, "compile", SOURCE.replace("+ n", "- n"))
    assert other.stdout.strip() == "'-1' -1"
    assert len(_cache_files(folder)) == 4
    # Over the limit: cleared, then this process's two templates written again.
    cleared = _render(folder, "compile", max_files=3)
    assert cleared.returncode == 0, cleared.stderr
    assert len(_cache_files(folder)) == 2
    assert _render(folder, "cached", max_files=3).returncode == 0


def test_a_cache_that_cannot_be_written_never_stops_dbt(tmp_path):
    in_the_way = tmp_path / "a file"
    in_the_way.write_text("not a folder")
    unmade = _render(in_the_way, "compile")
    assert unmade.returncode == 0, unmade.stderr
    assert unmade.stdout.strip() == "'5' 5"
    unwritable = _render(tmp_path / "templates", "vanished")
    assert unwritable.returncode == 0, unwritable.stderr
    assert unwritable.stdout.strip() == "'5' 5"
    assert not (tmp_path / "templates").exists()
