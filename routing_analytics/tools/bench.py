"""`make bench`: our loader against PostgreSQL's own COPY of the same NDJSON file.

The floor is a plain COPY of the file's bytes into a one-column jsonb table (no parsing,
privacy, lineage or quarantine on our side). Both run in this process, against the same
throwaway server, on the same file, alternating, and the best of each is reported.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from loader.landing import load_file
from loader.privacy import Pseudonymiser
from loader.raw_schema import apply_raw_ddl
from loader.reader import CHUNK_BYTES
from loader.streams import STREAMS
from routing_analytics.platform.config import load_settings
from routing_analytics.platform.throwaway import throwaway_database, throwaway_server
from routing_analytics.tools.generate import GenerateOptions, generate

FLOOR_COPY = (
    "copy bench_floor (doc) from stdin with (format csv, delimiter e'\\x02', quote e'\\x01')"
)


def copy_floor(url: str, path: Path) -> int:
    with psycopg.connect(url) as conn:
        conn.execute("create table bench_floor (doc jsonb not null)")
        with path.open("rb") as handle, conn.cursor().copy(FLOOR_COPY) as copy:
            while chunk := handle.read(CHUNK_BYTES):
                copy.write(chunk)
        row = conn.execute("select count(*) from bench_floor").fetchone()
    return int(row[0]) if row else 0


def our_loader(url: str, path: Path) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        apply_raw_ddl(conn)
        result = load_file(conn, path, STREAMS["task_executions"], Pseudonymiser(b"b" * 32))
    return result.rows_landed


def timed(action: Callable[[str, Path], int], server_url: str, path: Path) -> tuple[int, float]:
    with throwaway_database(server_url) as url:
        started = time.perf_counter()
        rows = action(url, path)
        return rows, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--file", type=Path, help="use this NDJSON file instead of generating")
    args = parser.parse_args()
    settings = load_settings()
    with tempfile.TemporaryDirectory() as folder, throwaway_server(settings) as server_url:
        path = args.file or _generate(Path(folder), args.executions)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {path.name}, {size_mb:.0f} MB")
        best: dict[str, tuple[int, float]] = {}
        for round_number in range(1, args.rounds + 1):
            for name, action in (("copy_floor", copy_floor), ("loader", our_loader)):
                rows, seconds = timed(action, server_url, path)
                print(
                    f"round {round_number} {name}: {rows} rows in {seconds:.2f} s "
                    f"= {rows / seconds:,.0f} rows/s"
                )
                if name not in best or seconds < best[name][1]:
                    best[name] = (rows, seconds)
        floor_rate = best["copy_floor"][0] / best["copy_floor"][1]
        loader_rate = best["loader"][0] / best["loader"][1]
        for name, rate in (("copy_floor", floor_rate), ("loader", loader_rate)):
            print(f"best {name}: {rate:,.0f} rows/s ({size_mb / best[name][1]:.0f} MB/s)")
        print(f"ratio loader/copy_floor: {loader_rate / floor_rate:.2f} (goal >= 0.80)")
    return 0


def _generate(folder: Path, executions: int) -> Path:
    started = time.perf_counter()
    result = generate(GenerateOptions(out_dir=folder, executions=executions, seed=7))
    print(f"generated {executions} executions in {time.perf_counter() - started:.1f} s")
    return result.files["task_executions"][0]


if __name__ == "__main__":
    raise SystemExit(main())
