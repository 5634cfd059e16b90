"""`routing-analytics generate` and `demo`: write a sample; load, build and summarise it."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from routing_analytics.api import DEFAULT_PORT
from routing_analytics.api.auth import development_token_for
from routing_analytics.operations.load import load_paths
from routing_analytics.operations.summary import print_summary
from routing_analytics.platform import db
from routing_analytics.platform.config import Settings
from routing_analytics.platform.errors import TerminalError, UserError
from routing_analytics.tools.generate import GenerateOptions, GenerateResult, generate
from routing_analytics.warehouse.dbt import WITHOUT_UNIT_TESTS, ensure_database
from routing_analytics.warehouse.gates import gated_build
from routing_analytics.warehouse.relations import TASK_EXECUTIONS


def generate_sample(args: argparse.Namespace) -> int:
    try:
        result = _generate_into(args)
    except ValueError as error:
        raise UserError(f"generate: {error}") from None
    for stream, count in sorted(result.counts.items()):
        files = ", ".join(str(path) for path in result.files[stream])
        print(f"generate stream={stream} lines={count} files={files}")
    for kind, count in sorted(result.faults.items()):
        print(f"generate fault={kind} lines={count}")
    return 0


def _generate_into(args: argparse.Namespace) -> GenerateResult:
    return generate(
        GenerateOptions(
            out_dir=args.out,
            tenants=args.tenants,
            days=args.days,
            executions=args.executions,
            seed=args.seed,
            end_date=args.end_date,
            faults=args.faults,
            compress=args.gzip,
            start=args.start,
            end=args.end,
        )
    )


DEMO_SAMPLE_MARKER = ".sample.json"


def run_demo(settings: Settings, *, tenants: int, days: int, executions: int, out_dir: Path) -> int:
    ensure_database(settings)
    _demo_sample(out_dir, {"tenants": tenants, "days": days, "executions": executions})
    print("demo: loading (files already loaded are skipped)", flush=True)
    if load_paths(settings, [out_dir], None, as_json=False) != 0:
        return 1
    print("demo: dbt build (models and data tests)", flush=True)
    if gated_build(settings, ["build", *WITHOUT_UNIT_TESTS]) != 0:
        raise TerminalError("demo: dbt build failed; see its output")
    code = print_summary(settings)
    _print_dashboard(settings)
    return code


def _print_dashboard(settings: Settings) -> None:
    """How to open the dashboard as one demo tenant (its token is valid for a day)."""
    with db.connect(settings) as conn:
        row = conn.execute(f"select min(tenant_id) from {TASK_EXECUTIONS}").fetchone()
    if row is None or row[0] is None:
        return
    token = development_token_for(settings.state_dir, row[0], timedelta(days=1))
    print()
    print("Dashboard and API: .venv/bin/routing-analytics serve, then open")
    print(f"  http://127.0.0.1:{DEFAULT_PORT}/ and sign in as {row[0]} with this token (1 day):")
    print(f"  {token}")
    print(
        f"  (API: curl -H 'Authorization: Bearer <token>' http://127.0.0.1:{DEFAULT_PORT}/v1/roi)"
    )


def _demo_sample(out_dir: Path, wanted: dict[str, int]) -> None:
    """Generate the demo's sample once and reuse it: a sample generated on a later day has
    other content under the same record ids (its window ends later), which the gates would
    rightly count as conflicting versions of the records already loaded."""
    marker = out_dir / DEMO_SAMPLE_MARKER
    kept = orjson.loads(marker.read_bytes()) if marker.is_file() else {}
    if {name: kept.get(name) for name in wanted} == wanted:
        print(
            f"demo: reusing the sample generated on {kept.get('generated_on')} in {out_dir}"
            " (delete the folder for a new sample; a new sample needs a new database)",
            flush=True,
        )
        return
    print(
        f"demo: generating {wanted['executions']} executions for {wanted['tenants']} tenants"
        f" over {wanted['days']} days into {out_dir}",
        flush=True,
    )
    marker.unlink(missing_ok=True)
    generate(
        GenerateOptions(
            out_dir=out_dir,
            tenants=wanted["tenants"],
            days=wanted["days"],
            executions=wanted["executions"],
            faults=True,
        )
    )
    generated_on = datetime.now(UTC).date().isoformat()
    marker.write_bytes(orjson.dumps({**wanted, "generated_on": generated_on}))
