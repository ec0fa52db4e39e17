"""Benchmark: a full and an incremental sync of the simulated demo organization into DuckDB.

Reports requests made, requests/s, rows/s and peak memory, and what the request count means
against Asana's real limits (1,500 requests/min on paid domains, 150 on free ones).

    .venv/bin/python bench/bench_sync.py [--size demo|small] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asana_sim import AsanaSimulator, SimConfig, serve_in_process  # noqa: E402

from pipelines.sync.run import run_sync  # noqa: E402

from pipelines.warehouse.destination import Destination


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(label: str, result) -> dict:
    minutes_paid = result.requests / 1500
    row = {
        "run": label,
        "requests": result.requests,
        "seconds": round(result.seconds, 2),
        "requests_per_s": round(result.requests / result.seconds, 1),
        "rows": result.total_rows,
        "rows_per_s": round(result.total_rows / result.seconds),
        "retries": result.client_stats.get("retries", 0),
        "minutes_at_1500_rpm": round(minutes_paid, 1),
        "minutes_at_150_rpm": round(result.requests / 150, 1),
        "peak_rss_mb": round(peak_mb()),
    }
    print(json.dumps(row))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["small", "demo"], default="demo")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changes", type=int, default=200, help="tasks to change before the incremental run")
    parser.add_argument("--paced", action="store_true", help="only the rate-limit pacing run")
    args = parser.parse_args()
    if args.paced:
        paced()
        return

    config = SimConfig.demo(seed=args.seed) if args.size == "demo" else SimConfig.small(seed=args.seed)
    t0 = time.monotonic()
    sim = AsanaSimulator(config)
    print(json.dumps({"generated_tasks": len(sim.store.tasks), "projects": len(sim.store.projects),
                      "stories": len(sim.store.stories), "seconds": round(time.monotonic() - t0, 2)}))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ASANA_SYNC_HOME"] = str(Path(tmp) / "home")
        destination = Destination.parse("duckdb", str(Path(tmp) / "bench.duckdb"))
        with serve_in_process(sim, port=0) as base_url:
            options = {"access_token": config.tokens[0], "base_url": base_url, "requests_per_minute": 1_000_000,
                       "max_concurrency": 8}
            report("full", run_sync(destination, source_options=options))

            import httpx

            http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {config.tokens[0]}"})
            top_level = [g for g, t in sim.store.tasks.items() if t["parent"] is None]

            def change(offset: int) -> None:
                for i, gid in enumerate(top_level[offset: offset + args.changes]):
                    if i % 2:
                        http.post(f"/tasks/{gid}/stories", json={"data": {"text": f"bench comment {i}"}})
                    else:
                        http.put(f"/tasks/{gid}", json={"data": {"name": f"bench rename {i}"}})

            change(0)
            report("incremental, reconciling (auto below 50k tasks)", run_sync(destination, source_options=options))
            change(args.changes)
            report("incremental, modified_since + events (reconcile=never)",
                   run_sync(destination, source_options={**options, "reconcile": "never"}))
            report("incremental, nothing changed (reconcile=never)",
                   run_sync(destination, source_options={**options, "reconcile": "never"}))


def paced() -> None:
    """The client's own limiter against a simulator enforcing Asana's paid-domain limit."""
    config = SimConfig.small(seed=2, rate_limit_rpm=1500)
    sim = AsanaSimulator(config)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ASANA_SYNC_HOME"] = str(Path(tmp) / "home")
        destination = Destination.parse("duckdb", str(Path(tmp) / "paced.duckdb"))
        with serve_in_process(sim, port=0) as base_url:
            result = run_sync(destination, source_options={"access_token": config.tokens[0], "base_url": base_url})
    per_minute = result.requests / result.seconds * 60
    print(json.dumps({"run": "paced at the default 1,500 req/min against a server enforcing 1,500/min",
                      "requests": result.requests, "seconds": round(result.seconds, 2),
                      "requests_per_minute": round(per_minute), "ratio_to_limit": round(per_minute / 1500, 2),
                      "429s": result.client_stats["by_status"].get("429", 0)}))


if __name__ == "__main__":
    main()
