"""`generate` and `demo`: the sample-data tools (routing_analytics.tools), not the product."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from routing_analytics.cli.arguments import Commands, positive, timestamp
from routing_analytics.platform.config import Settings
from routing_analytics.tools.demo import generate_sample, run_demo


def register(commands: Commands) -> None:
    generate = commands.add_parser("generate", help="write a realistic sample data set")
    generate.add_argument(
        "--out", type=Path, default=Path("data/sample"), help="output folder (default %(default)s)"
    )
    generate.add_argument(
        "--tenants", type=positive, default=20, help="tenants (default %(default)s)"
    )
    generate.add_argument(
        "--days", type=positive, default=30, help="UTC days in the window (default %(default)s)"
    )
    generate.add_argument(
        "--executions",
        type=positive,
        default=300_000,
        help="task executions in the window (default %(default)s)",
    )
    generate.add_argument(
        "--seed", type=int, default=42, help="the same seed writes the same files (default 42)"
    )
    generate.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="last day of the window, YYYY-MM-DD (default: today, UTC)",
    )
    generate.add_argument(
        "--start",
        type=timestamp,
        default=None,
        help="only the tasks starting from this instant (RFC 3339, with --end), with the"
        " tenants and prices of the window that --days and --end-date name: e.g. the next"
        " hour on top of a data set made with the same --seed, --tenants, --days, --end-date",
    )
    generate.add_argument(
        "--end",
        type=timestamp,
        default=None,
        help="...and before this instant (exclusive; never after now); --executions counts"
        " the tasks in [--start, --end)",
    )
    generate.add_argument(
        "--faults",
        action="store_true",
        help="inject malformed lines, duplicates, bad values, late records",
    )
    generate.add_argument("--gzip", action="store_true", help="write .jsonl.gz files")
    generate.set_defaults(handler=_generate)

    demo = commands.add_parser("demo", help="start, generate, load, build and summarise")
    demo.add_argument("--tenants", type=positive, default=20, help="tenants (default %(default)s)")
    demo.add_argument(
        "--days",
        type=positive,
        default=60,
        help="UTC days of history up to now (default %(default)s: the 30-day trends need 60)",
    )
    demo.add_argument(
        "--executions",
        type=positive,
        default=300_000,
        help="task executions (default %(default)s)",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder of the sample, generated once and then reused (default: data/demo)",
    )
    demo.set_defaults(handler=_demo)


def _generate(args: argparse.Namespace, _: Settings) -> int:
    return generate_sample(args)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    return run_demo(
        settings,
        tenants=args.tenants,
        days=args.days,
        executions=args.executions,
        out_dir=args.out or settings.project_dir / "data" / "demo",
    )
