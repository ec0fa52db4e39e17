"""Build every SQL model on a simulated organization in DuckDB and in PostgreSQL; report each model's
row count and build seconds, the seconds of the point-in-time state history and what it is built from, and
the wall time of building all of them on each destination.

    .venv/bin/python bench/bench_models.py [--size small|demo|large] [--projects N]
                                           [--destinations duckdb,postgres] [--keep DIR] [--rebuild FILE]

The raw tables come from a real sync of the simulator (``run_sync``, as ``asana-sync run`` does). PostgreSQL
is the server on 127.0.0.1:5432 (a throwaway database, dropped afterwards). ``--keep DIR`` keeps the DuckDB
file there (``models.duckdb``), so the models can be rebuilt on it without syncing again
(``--rebuild DIR/models.duckdb``). ``large`` (~200,000 tasks) syncs for about 10 minutes per destination.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from asana_sim import AsanaSimulator, SimConfig, serve_in_process  # noqa: E402

from pipelines.models import ModelProject  # noqa: E402
from pipelines.sync.run import run_sync  # noqa: E402

#: The state history and the models it is built from (its chain below int_asana__task).
from pipelines.warehouse.destination import Destination
from pipelines.warehouse.runtime import make_pipeline
STATE_HISTORY = ("int_asana__task_story_events", "int_asana__task_completion_span", "int_asana__task_assignee_span",
                 "int_asana__task_due_date_span", "int_asana__task_section_change",
                 "int_asana__task_custom_field_values", "asana__task_section_state_history",
                 "asana__task_custom_field_state_history", "asana__task_state_history")


def build(destination: Destination) -> tuple[float, dict[str, tuple[int, float]]]:
    project = ModelProject.load()
    started = time.monotonic()
    results = project.build(make_pipeline(destination))
    return time.monotonic() - started, {r.name: (r.rows, r.seconds) for r in results}


def report(name: str, seconds: float, models: dict[str, tuple[int, float]]) -> None:
    chain = sum(models[m][1] for m in STATE_HISTORY)
    tasks = models["int_asana__task"][0]
    print(f"{name}: {tasks:,} tasks; built {len(models)} models in {seconds:.2f}s; the state history and its "
          f"chain ({len(STATE_HISTORY)} models) {chain:.2f}s, asana__task_state_history alone "
          f"{models['asana__task_state_history'][1]:.2f}s ({models['asana__task_state_history'][0]:,} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["small", "demo", "large"], default="demo")
    parser.add_argument("--projects", type=int, default=None, help="the size's organization with this many projects")
    parser.add_argument("--destinations", default="duckdb,postgres")
    parser.add_argument("--keep", default=None, metavar="DIR", help="keep the synced DuckDB file in DIR")
    parser.add_argument("--rebuild", default=None, metavar="FILE", help="build on an already synced DuckDB file")
    args = parser.parse_args()
    timings, counts = {}, {}
    if args.rebuild:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["ASANA_SYNC_HOME"] = str(Path(tmp) / "home")
            timings["duckdb"], counts["duckdb"] = build(Destination.parse("duckdb", args.rebuild))
    else:
        timings, counts = sync_and_build(args)
    print(f"{'model':42} " + " ".join(f"{'rows (' + n + ')':>18} {'s':>7}" for n in counts))
    for model in counts[next(iter(counts))]:
        print(f"{model:42} " + " ".join(f"{counts[n][model][0]!s:>18} {counts[n][model][1]:7.2f}" for n in counts))
    for name, seconds in timings.items():
        report(name, seconds, counts[name])


def sync_and_build(args: argparse.Namespace) -> tuple[dict, dict]:
    from pg import postgres_server

    config = {"small": SimConfig.small, "demo": SimConfig.demo, "large": SimConfig.large}[args.size](seed=1)
    if args.projects:
        config = dataclasses.replace(config, n_projects=args.projects)
    engines = [e.strip() for e in args.destinations.split(",") if e.strip()]
    sim = AsanaSimulator(config)
    timings, counts = {}, {}
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as server:
        os.environ["ASANA_SYNC_HOME"] = str(Path(tmp) / "home")
        duck = Destination.parse("duckdb", str(Path(tmp) / "models.duckdb"))
        with server.database() as db, serve_in_process(sim, port=0) as base_url:
            os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = server.dsn(db)
            destinations = {"duckdb": duck, "postgres": Destination.parse("postgres")}
            options = {"access_token": config.tokens[0], "base_url": base_url, "requests_per_minute": 1_000_000,
                       "max_concurrency": 8}
            for name in engines:
                run_sync(destinations[name], source_options=options)
                timings[name], counts[name] = build(destinations[name])
        if args.keep and "duckdb" in engines:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(tmp) / "models.duckdb", Path(args.keep) / "models.duckdb")
    return timings, counts


if __name__ == "__main__":
    main()
