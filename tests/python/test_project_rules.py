"""dbt-project-evaluator's rules on our manifest (tests/python/project_rules.py): no
violation beyond the exceptions of tests/project_rules.yml, and no exception left unused."""

from __future__ import annotations

import json
import os
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import yaml
from conftest import cli
from project_rules import RULES

pytestmark = pytest.mark.integration

EXCEPTIONS = Path(__file__).resolve().parents[1] / "project_rules.yml"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("rules")
    target = folder / "target"
    parsed = cli(
        {**os.environ, "ANALYTICS_STATE_DIR": str(folder / "state")},
        "dbt",
        "--",
        "parse",
        "--target-path",
        str(target),
        "--quiet",
    )
    assert parsed.returncode == 0, parsed.stdout[-2000:] + parsed.stderr[-2000:]
    return json.loads((target / "manifest.json").read_text())


def exceptions() -> dict[str, list[dict[str, str]]]:
    loaded = yaml.safe_load(EXCEPTIONS.read_text())
    assert set(loaded) <= set(RULES), set(loaded) - set(RULES)
    for allowed in loaded.values():
        assert all(entry.get("reason", "").strip() for entry in allowed)
    return loaded


@pytest.mark.parametrize("rule", sorted(RULES))
def test_no_violation_beyond_the_listed_exceptions(manifest, rule):
    allowed = [entry["allow"] for entry in exceptions().get(rule, [])]
    found = RULES[rule](manifest)
    unexcused = {item for item in found if not any(fnmatchcase(item, a) for a in allowed)}
    assert unexcused == set()
    unused = [a for a in allowed if not any(fnmatchcase(item, a) for item in found)]
    assert unused == [], "an exception that excuses nothing: remove it"
