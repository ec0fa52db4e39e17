"""Benchmark: the share of the rate limit a first sync reaches in field conditions, four scenarios side by side.

    .venv/bin/python bench/bench_resilience.py [--scenarios a,b,c,d] [--max-seconds 900] [--json FILE]
        [--client-root OTHER_CHECKOUT]

Each scenario runs `asana-sync run --no-models --log-format json` in its own process against the
simulator served from another process (`asana_sim`, its `latency_s` making every answer take
Asana's time), polls the simulator's request counter twice a second, and reports requests per
second against the limit over the time requests were being made:

- (a) 250 ms latency (lognormal, sigma 0.3), one request in 25 answered 429 with `Retry-After: 1`,
  a few 5xx and dropped connections, 1,500 requests/min enforced by the simulator;
- (b) a concurrency cap of 4 at 30 ms, no rate limit: the client as configured (default
  `max_concurrency` 50, learning the cap) against one told `--max-concurrency 4`, and the cap's own
  bound, 4 / 30 ms = 133 requests/s;
- (c) two team partitions sharing one token (1,500/min, 250 ms) into PostgreSQL at the same time,
  measured over the time both run;
- (d) a pure 1,500/min sliding window at 250 ms, no other fault.

Also the time until the first checkpoint step was committed (the end of the first `load`). With
`--max-seconds` a run that takes longer is stopped there and measured over what it did (so an old
client stuck at concurrency 1 can be measured too). PostgreSQL: 127.0.0.1:5432 as `postgres` unless
`BENCH_PG_DSN` says otherwise (a fresh database per scenario, dropped afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator, Optional

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asana_sim import AsanaSimulator, SimConfig, serve_in_process  # noqa: E402

LIMIT_RPM = 1500
FIELD = {"latency_s": 0.25, "latency_sigma": 0.3}
# The organization: ~1,900 tasks with 200 users, about 4,000 requests for a first sync (under three
# minutes at 1,500/min), its projects split between two teams for (c).
ORG = {"seed": 5, "n_projects": 13, "tasks_per_project": 120, "n_users": 200, "n_teams": 2}
SCENARIOS = {
    "a": "250 ms, 1 in 25 answered 429 (Retry-After: 1), 0.5% 5xx/drops, 1,500/min",
    "b": "a concurrency cap of 4 at 30 ms, no rate limit",
    "c": "two team partitions on one token, 250 ms, 1,500/min, PostgreSQL",
    "d": "a pure 1,500/min sliding window at 250 ms",
}


@contextmanager
def simulator(**overrides) -> Iterator[tuple[AsanaSimulator, str]]:
    sim = AsanaSimulator(SimConfig.small(**{**ORG, **overrides}))
    with serve_in_process(sim, port=0) as base_url:
        yield sim, base_url


class Counter(threading.Thread):
    """Polls the simulator's counters twice a second: (time, requests, 429s) samples."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.url = base_url.rsplit("/api/1.0", 1)[0] + "/_sim/stats"
        self.samples: list[tuple[float, int, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self.stop.is_set():
                stats = client.get(self.url).json()
                self.samples.append((time.monotonic(), stats["requests"], stats["by_status"].get("429", 0)))
                self.stop.wait(0.5)

    def share(self, start: Optional[float] = None, end: Optional[float] = None, per_minute: float = LIMIT_RPM) -> dict:
        """Requests per second between the first and the last request of [start, end], against the limit."""
        window = [s for s in self.samples if (start is None or s[0] >= start) and (end is None or s[0] <= end)]
        moving = [i for i in range(1, len(window)) if window[i][1] > window[i - 1][1]]
        if not moving:
            return {"requests": 0, "seconds": 0.0, "per_second": 0.0, "share": 0.0, "throttled_share": 0.0}
        first, last = window[moving[0] - 1], window[moving[-1]]
        requests, throttled, seconds = last[1] - first[1], last[2] - first[2], last[0] - first[0]
        per_second = requests / max(seconds, 1e-9)
        return {"requests": requests, "seconds": round(seconds, 1), "per_second": round(per_second, 2),
                "share": round(per_second / (per_minute / 60), 3),
                "throttled_share": round(throttled / max(requests, 1), 4)}


# The checkout whose client is measured (``--client-root``: say, an older commit's worktree, run
# against this checkout's simulator).
CLIENT_ROOT = {"path": ROOT}


def sync_process(base_url: str, work: Path, args: tuple = (), env: Optional[dict] = None) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")},
           "SOURCES__ASANA__ACCESS_TOKEN": "sim-token", "SOURCES__ASANA__BASE_URL": base_url,
           "ASANA_SYNC_HOME": str(work / "home"), "PYTHONPATH": str(CLIENT_ROOT["path"]), **(env or {})}
    work.mkdir(parents=True, exist_ok=True)
    # This checkout runs as `python -m pipelines`; older ones had pipelines/cli.py.
    module = "pipelines" if (CLIENT_ROOT["path"] / "pipelines" / "__main__.py").exists() else "pipelines.cli"
    return subprocess.Popen([sys.executable, "-m", module, "--log-format", "json", "run", "--no-models",
                             *args], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, max_seconds: float) -> dict:
    """Wait for a run (stopping it at ``max_seconds``); its exit code, end, first commit and last counters."""
    started = time.monotonic()
    events: list[dict] = []
    reader = threading.Thread(target=lambda: events.extend(json.loads(line) for line in proc.stderr
                                                           if line.startswith("{")), daemon=True)
    reader.start()
    try:
        proc.wait(timeout=max_seconds)
        stopped = False
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait()
        stopped = True
    ended = time.monotonic()
    reader.join(timeout=10)
    phases = [e for e in events if e.get("event") == "phase"]
    first_load_end = next((e for previous, e in zip(phases, phases[1:]) if previous["phase"].startswith("load")),
                          None)
    last = ([e for e in events if e.get("event") in ("phase", "progress", "finished")] or [{}])[-1]
    return {"exit_code": proc.returncode, "stopped_at_max_seconds": stopped, "wall_seconds": round(ended - started, 1),
            "ended": ended, "first_commit_seconds": first_load_end and first_load_end["elapsed_seconds"],
            "latency_ms": last.get("latency_ms"), "concurrency": last.get("concurrency"),
            "lowest_concurrency": last.get("lowest_concurrency"), "errors": [e.get("message") for e in events
                                                                             if e.get("event") == "error"]}


def one_sync(base_url: str, work: Path, max_seconds: float, args: tuple = ()) -> dict:
    counter = Counter(base_url)
    counter.start()
    run = finish(sync_process(base_url, work, args), max_seconds)
    counter.stop.set()
    counter.join()
    return {**run, **counter.share()}


def scenario_a(work: Path, max_seconds: float) -> dict:
    with simulator(**FIELD, rate_limit_rpm=LIMIT_RPM, throttle_share=0.04, retry_after_s=1,
                   fault_rates={"500": 0.002, "503": 0.002, "drop": 0.001}) as (_, base_url):
        return one_sync(base_url, work / "a", max_seconds)


def scenario_d(work: Path, max_seconds: float) -> dict:
    with simulator(**FIELD, rate_limit_rpm=LIMIT_RPM) as (_, base_url):
        return one_sync(base_url, work / "d", max_seconds)


def scenario_b(work: Path, max_seconds: float) -> dict:
    cap, latency = 4, 0.03
    unlimited = ("--requests-per-minute", "1000000")
    runs = {}
    for name, args in (("adaptive", unlimited), ("configured", (*unlimited, "--max-concurrency", str(cap)))):
        with simulator(latency_s=latency, max_concurrent_gets=cap) as (_, base_url):
            runs[name] = one_sync(base_url, work / f"b-{name}", max_seconds, args)
    bound = cap / latency
    adaptive, configured = runs["adaptive"], runs["configured"]
    return {"cap": cap, "latency_s": latency, "cap_bound_per_second": round(bound, 1), **runs,
            "share_of_configured": round(adaptive["per_second"] / max(configured["per_second"], 1e-9), 3),
            "share_of_cap_bound": round(adaptive["per_second"] / bound, 3)}


def scenario_c(work: Path, max_seconds: float) -> dict:
    dsn = os.environ.get("BENCH_PG_DSN", "postgresql://postgres:unused@127.0.0.1:5432/postgres")
    with simulator(**FIELD, rate_limit_rpm=LIMIT_RPM) as (sim, base_url), fresh_database(dsn) as db_dsn:
        teams = sorted({p["team"] for p in sim.store.projects.values() if p.get("team")})
        names = ",".join(f"team:{gid}" for gid in teams)
        counter = Counter(base_url)
        counter.start()
        env = {"DESTINATION__POSTGRES__CREDENTIALS": db_dsn}
        procs = [sync_process(base_url, work / f"c-{gid}", ("--destination", "postgres", "--partition", f"team:{gid}",
                                                             "--partitions", names), env) for gid in teams]
        runs: list = [None] * len(procs)
        waiters = [threading.Thread(target=lambda i=i, p=p: runs.__setitem__(i, finish(p, max_seconds)))
                   for i, p in enumerate(procs)]
        for waiter in waiters:
            waiter.start()
        for waiter in waiters:
            waiter.join()
        counter.stop.set()
        counter.join()
    both_until = min(r["ended"] for r in runs)
    return {"partitions": names, "runs": runs, "together": counter.share(end=both_until),
            "whole": counter.share()}


@contextmanager
def fresh_database(dsn: str) -> Iterator[str]:
    import psycopg2

    name = f"bench_resilience_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    try:
        yield dsn.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


RUNNERS = {"a": scenario_a, "b": scenario_b, "c": scenario_c, "d": scenario_d}


def table(figures: dict) -> str:
    """The Markdown summary: one row per scenario with its target."""
    rows = ["| scenario | requests | share of the limit | target | 429s | first commit | exit |", "|---|---|---|---|---|---|---|"]
    for key, result in figures["scenarios"].items():
        if key == "b":
            a = result["adaptive"]
            rows.append(f"| (b) {SCENARIOS['b']} | {a['requests']:,} | {result['share_of_configured']:.2f} of "
                        f"`--max-concurrency 4`, {result['share_of_cap_bound']:.2f} of 4/30 ms | 0.9, <2% 429 | "
                        f"{a['throttled_share']:.1%} | {a['first_commit_seconds']} s | {a['exit_code']} |")
        elif key == "c":
            t = result["together"]
            rows.append(f"| (c) {SCENARIOS['c']} | {t['requests']:,} | {t['share']:.2f} (both running) | "
                        f"0.8, <2% 429 | {t['throttled_share']:.1%} | "
                        f"{', '.join(str(r['first_commit_seconds']) for r in result['runs'])} s | "
                        f"{', '.join(str(r['exit_code']) for r in result['runs'])} |")
        else:
            target = "0.8" if key == "a" else "0.9, no 429"
            rows.append(f"| ({key}) {SCENARIOS[key]} | {result['requests']:,} | {result['share']:.2f} | {target} | "
                        f"{result['throttled_share']:.1%} | {result['first_commit_seconds']} s | "
                        f"{result['exit_code']} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="a,b,c,d")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="stop a run after this long")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--client-root", default=str(ROOT),
                        help="the checkout whose `asana-sync` is measured (default: this one)")
    args = parser.parse_args()
    CLIENT_ROOT["path"] = Path(args.client_root).resolve()
    started = datetime.now().astimezone()
    figures: dict = {"started": started.isoformat(timespec="seconds"), "org": ORG, "field": FIELD, "scenarios": {}}
    with tempfile.TemporaryDirectory(prefix="bench-resilience-") as tmp:
        for key in [k.strip() for k in args.scenarios.split(",") if k.strip()]:
            print(f"scenario ({key}): {SCENARIOS[key]} ...", file=sys.stderr, flush=True)
            figures["scenarios"][key] = RUNNERS[key](Path(tmp), args.max_seconds)
            print(json.dumps(figures["scenarios"][key], default=str), file=sys.stderr, flush=True)
    print(table(figures))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
