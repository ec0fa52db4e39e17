"""Build every SQL model on the demo organization in DuckDB and in PostgreSQL; report each model's
row count and the wall time of building all of them on each destination.

    .venv/bin/python bench/bench_models.py [--size demo|small] [--postgres postgresql://...]

Without --postgres it uses the server on 127.0.0.1:5432 (a throwaway database, dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from asana_sim import AsanaSimulator, SimConfig, serve_in_process  # noqa: E402

from pipelines.models import ModelProject  # noqa: E402
from pipelines.pipeline import Destination, make_pipeline, run_sync  # noqa: E402


def build(destination: Destination) -> tuple[float, dict[str, int]]:
    project = ModelProject.load()
    started = time.monotonic()
    results = project.build(make_pipeline(destination))
    return time.monotonic() - started, {r.name: r.rows for r in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["small", "demo"], default="demo")
    args = parser.parse_args()
    from pg import postgres_server

    config = SimConfig.demo(seed=1) if args.size == "demo" else SimConfig.small(seed=1)
    sim = AsanaSimulator(config)
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as server:
        os.environ["ASANA_SYNC_HOME"] = str(Path(tmp) / "home")
        duck = Destination.parse("duckdb", str(Path(tmp) / "models.duckdb"))
        with server.database() as db, serve_in_process(sim, port=0) as base_url:
            os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = server.dsn(db)
            pg = Destination.parse("postgres")
            options = {"access_token": config.tokens[0], "base_url": base_url, "requests_per_minute": 1_000_000,
                       "max_concurrency": 8}
            timings, counts = {}, {}
            for name, destination in (("duckdb", duck), ("postgres", pg)):
                run_sync(destination, source_options=options)
                timings[name], counts[name] = build(destination)
    print(f"{'model':42} {'rows (duckdb)':>14} {'rows (postgres)':>16}")
    for model in counts["duckdb"]:
        print(f"{model:42} {counts['duckdb'][model]!s:>14} {counts['postgres'].get(model)!s:>16}")
    for name, seconds in timings.items():
        print(f"built {len(counts[name])} models on {name} in {seconds:.2f}s")


if __name__ == "__main__":
    main()
