"""Measure generation: `python -m asana_sim.measure --size large` prints counts, CPU and wall time, peak RSS."""
from __future__ import annotations

import argparse
import resource
import sys
import time

from .app import AsanaSimulator
from .config import SimConfig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m asana_sim.measure", description=__doc__)
    ap.add_argument("--size", choices=["small", "demo", "large", "truncation"], default="large")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    factory = {"small": SimConfig.small, "demo": SimConfig.demo, "large": SimConfig.large,
               "truncation": SimConfig.truncation}[args.size]
    cpu, wall = time.process_time(), time.perf_counter()
    sim = AsanaSimulator(factory(args.seed))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    s = sim.store
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"size={args.size} seed={args.seed}: {len(s.tasks):,} tasks ({sum(1 for t in s.tasks.values() if t['parent']):,} "
          f"subtasks), {len(s.stories):,} stories, {len(s.projects):,} projects, {len(s.users):,} users, "
          f"{len(s.attachments):,} attachments, {len(s.time_tracking_entries):,} time tracking entries")
    print(f"generated in {wall:.1f}s wall, {cpu:.1f}s CPU; peak RSS {rss:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
