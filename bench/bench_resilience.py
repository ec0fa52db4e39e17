"""Benchmark: a first sync against a server that allows fewer concurrent requests than the client's
default, with the client adapting (default max_concurrency 10) and configured right from the start
(max_concurrency 4). Reports the share of requests answered 429 and the wall-time ratio.

    .venv/bin/python bench/bench_resilience.py [--cap 4] [--latency 0.03] [--json bench/results/resilience.json]

The simulator (served from a child process) answers every GET after ``--latency`` seconds, so that
requests overlap the way they do against Asana, and answers 429 with ``Retry-After: 1`` to any GET
over ``--cap`` in flight.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asana_sim import AsanaSimulator, SimConfig, serve_in_process  # noqa: E402

from pipelines.pipeline import Destination, run_sync  # noqa: E402


def one_run(config: SimConfig, max_concurrency: int) -> dict:
    sim = AsanaSimulator(config)
    with tempfile.TemporaryDirectory() as tmp, serve_in_process(sim, port=0) as base_url:
        os.environ["ASANA_SYNC_HOME"] = str(Path(tmp) / "home")
        started = time.monotonic()
        result = run_sync(Destination.parse("duckdb", str(Path(tmp) / "bench.duckdb")),
                          source_options={"access_token": config.tokens[0], "base_url": base_url,
                                          "requests_per_minute": 1_000_000, "max_concurrency": max_concurrency})
        wall = time.monotonic() - started
    stats = result.client_stats
    return {"max_concurrency": max_concurrency, "requests": result.requests, "throttled": stats["throttled"],
            "throttled_share": round(stats["throttled"] / max(result.requests, 1), 4),
            "final_concurrency": stats["concurrency"], "lowest_concurrency": stats["lowest_concurrency"],
            "waited_seconds": stats["waited_seconds"], "wall_seconds": round(wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=4, help="concurrent GETs the server allows")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds every GET takes")
    parser.add_argument("--projects", type=int, default=10)
    parser.add_argument("--tasks-per-project", type=int, default=60)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    config = SimConfig.small(seed=5, n_projects=args.projects, tasks_per_project=args.tasks_per_project,
                             max_concurrent_gets=args.cap, fault_rate=1.0, fault_kinds=("slow",),
                             slow_s=args.latency)
    adaptive = one_run(config, 10)
    configured = one_run(config, args.cap)
    figures = {"cap": args.cap, "latency_s": args.latency, "adaptive": adaptive, "configured": configured,
               "wall_ratio": round(adaptive["wall_seconds"] / configured["wall_seconds"], 3)}
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
