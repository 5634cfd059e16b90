"""dbt's own command line, with the code compiled from its templates kept between runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dbt.cli.main import cli

from routing_analytics.warehouse.dbt import TEMPLATE_CACHE_VAR
from routing_analytics.warehouse.template_cache import keep_compiled_templates


def main(prog_name: str = "dbt") -> str | int | None:
    """dbt's `cli`, as its executable runs it; returns what dbt exits with."""
    folder = os.environ.get(TEMPLATE_CACHE_VAR)
    if folder:
        keep_compiled_templates(Path(folder))
    try:
        cli(prog_name=prog_name)
    except SystemExit as exiting:
        return exiting.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
