"""``asana-sync demo``: simulator on a free loopback port -> sync -> models -> a short tour of the data."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import duckdb
from rich.console import Console
from rich.table import Table

from asana_sim import AsanaSimulator, SimConfig, serve_in_process

from ..errors import EXIT_CONFIG, SyncError
from ..models.build import build_models, run_model_tests
from ..models.docs import DEFAULT_OUTPUT_DIR, generate
from ..sync.run import run_sync
from ..warehouse.destination import Destination

# The demo writes this table first into every warehouse it creates, and overwrites only files that have it.
DEMO_MARKER = "asana_sync_demo"

EXAMPLE_QUERIES = [
    ("Projects with the most open work",
     "select project_name, number_of_open_tasks, number_of_tasks_completed, "
     "round(avg_close_time_days, 1) as avg_close_days from asana_analytics.asana__project "
     "order by number_of_open_tasks desc limit 5"),
    ("Who is overloaded",
     "select user_name, number_of_open_tasks, number_of_overdue_tasks from asana_analytics.asana__user "
     "order by number_of_open_tasks desc limit 5"),
    ("Weekly throughput (last 6 weeks, all workspaces)",
     "select week_start, sum(number_of_tasks_created) as created, sum(number_of_tasks_completed) as completed, "
     "sum(net_new_tasks) as net_new from asana_analytics.asana__throughput_weekly group by week_start "
     "order by week_start desc limit 6"),
    ("How late are overdue tasks",
     "select aging_bucket, sum(number_of_overdue_tasks) as tasks from asana_analytics.asana__overdue_aging "
     "group by aging_bucket order by min(min_days_late)"),
]


@contextmanager
def _env(values: dict) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# What a demo takes on this project's 2-core machine (docs/getting-started.md).
DURATIONS = {"small": "about 15 seconds", "demo": "about 1.5 minutes", "large": "about 15 minutes"}

# A little weather, so the demo shows retries at work: 1% of GETs fail the way Asana's do under
# load (500 with a phrase, 502/503/504 with HTML bodies, dropped connections).
DEMO_FAULT_RATES = {"500": 0.002, "502": 0.002, "503": 0.002, "504": 0.002, "drop": 0.002}


def run_demo(size: str = "demo", seed: int = 1, duckdb_path: str = "demo.duckdb",
             console: Console | None = None, weather: Optional[dict] = None,
             on_progress: Optional[Callable[[str, dict], None]] = None) -> None:
    """``weather`` overrides the simulator's limits and faults (``SimConfig`` fields such as
    ``max_concurrent_gets``, ``throttle_share``, ``retry_after_s``, ``fault_rates``, ``latency_s``);
    ``on_progress`` gets the sync's progress, as ``run``'s does."""
    console = console or Console()
    check_overwritable(Path(duckdb_path).resolve())
    started = time.monotonic()
    factory = {"demo": SimConfig.demo, "large": SimConfig.large}.get(size, SimConfig.small)
    config = factory(seed=seed, fault_seed=seed, **{"fault_rates": DEMO_FAULT_RATES, **(weather or {})})
    console.print(f"building the simulated {size} organization ({config.n_projects} projects, "
                  f"~{config.n_projects * config.tasks_per_project:,} top-level tasks), then syncing it: "
                  f"{DURATIONS.get(size, 'a while')} on 2 cores", highlight=False)
    sim = AsanaSimulator(config)
    console.print(f"simulated organization: {len(sim.store.projects)} projects, {len(sim.store.tasks)} tasks, "
                  f"{len(sim.store.stories)} stories, {len(sim.store.users)} users "
                  f"(built in {time.monotonic() - started:.1f}s)", highlight=False)
    path = Path(duckdb_path).resolve()
    check_overwritable(path)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    mark_as_demo(path)
    destination = Destination.parse("duckdb", str(path))
    # The demo's warehouse is new every time, so its dlt working state must be too.
    home = path.parent / ".asana-sync-demo"
    with serve_in_process(sim, port=0) as base_url, _env({"ASANA_SYNC_HOME": str(home)}):
        console.print(f"simulator listening on {base_url}", highlight=False)
        shutil.rmtree(home, ignore_errors=True)
        # Near zero latency the demo runs unthrottled; with Asana's latency, at Asana's limits.
        options = {"access_token": config.tokens[0], "base_url": base_url}
        if not config.latency_s:
            options.update(requests_per_minute=200_000, max_concurrency=8)
        result = run_sync(destination, source_options=options, on_progress=on_progress)
        _build_and_test(destination, result, console, on_progress)
    seconds = time.monotonic() - started
    console.print(f"\nwrote {result.total_rows - result.total_markers} rows with {result.requests} requests "
                  f"({result.client_stats.get('retries', 0)} retried after injected faults, "
                  f"{result.client_stats.get('throttled', 0)} answered 429) "
                  f"in {result.seconds:.1f}s; demo total {seconds:.1f}s -> {path}", highlight=False)
    _tour(path, sim, console)
    _next_steps(path, console)


def _build_and_test(destination: Destination, result: Any, console: Console,
                    on_progress: Optional[Callable[[str, dict], None]]) -> None:
    if on_progress is not None:
        on_progress("models", {})
    try:
        result.models = build_models(destination)
        checks = run_model_tests(destination)
        failed = [c for c in checks if not c.passed]
        console.print(f"built {len(result.models)} models; data tests: {len(checks) - len(failed)} passed, "
                      f"{len(failed)} failed", highlight=False)
    except SyncError as error:
        console.print(f"[yellow]models not built:[/yellow] {error}")


def _next_steps(path: Path, console: Console) -> None:
    """What to do next: look at the data with what was installed, then sync a real Asana."""
    shown = path.name if path.parent == Path.cwd() else str(path)
    console.print("\n[bold]Next steps[/bold]")
    console.print(f"1. Query the demo warehouse (no other tool needed):\n"
                  f"   asana-sync query --duckdb-path {shown} \"select count(*) from asana_analytics.asana__task\"\n"
                  f"   asana-sync query --duckdb-path {shown} --format csv \"select * from asana__project\" > projects.csv",
                  highlight=False, soft_wrap=True)
    console.print("2. Sync your own Asana (a personal access token: Asana > Settings > Apps > Developer apps):\n"
                  "   export SOURCES__ASANA__ACCESS_TOKEN=...\n"
                  "   asana-sync check     # token, workspaces, destination and an estimate; nothing written\n"
                  "   asana-sync run       # writes asana.duckdb here, then the models",
                  highlight=False, soft_wrap=True)


def is_demo_warehouse(path: Path) -> bool:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception:  # noqa: BLE001 - not a DuckDB file, locked, ...: not provably ours
        return False
    try:
        return bool(con.execute("select count(*) from information_schema.tables where table_schema = 'main' "
                                "and table_name = ?", [DEMO_MARKER]).fetchone()[0])
    finally:
        con.close()


def check_overwritable(path: Path) -> None:
    """The demo replaces its own warehouse, and nothing else (say, a real asana.duckdb)."""
    if path.exists() and not is_demo_warehouse(path):
        raise SyncError(f"{path} exists and was not created by the demo; not overwriting it (pass another "
                        "--duckdb-path, or delete the file yourself)", EXIT_CONFIG)


def mark_as_demo(path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(f"create table if not exists main.{DEMO_MARKER} as "
                    "select current_timestamp as created_at, 'asana-sync demo' as created_by")
    finally:
        con.close()


def _tour(path: Path, sim, console: Console) -> None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        table = Table("table", "rows", title="asana_raw")
        for (name,) in con.execute("select table_name from information_schema.tables where table_schema = 'asana_raw' "
                               "and table_name not like '\\_dlt%' escape '\\' order by 1").fetchall():
            table.add_row(name, str(con.execute(f'select count(*) from asana_raw."{name}"').fetchone()[0]))
        console.print(table)
        live = con.execute("select count(*) from asana_raw.tasks where not coalesce(is_deleted, false)").fetchone()[0]
        truth = len(sim.store.tasks)
        mark = "[green]matches[/green]" if live == truth else "[red]differs from[/red]"
        console.print(f"tasks in the warehouse: {live}, {mark} the simulator's {truth}")
        for title, sql in EXAMPLE_QUERIES:
            console.print(f"\n[bold]{title}[/bold]\n[dim]{sql}[/dim]")
            try:
                rows = con.execute(sql).fetchall()
            except Exception as error:  # noqa: BLE001 - a tour stop that fails should not end the tour
                console.print(f"  [yellow]query failed:[/yellow] {str(error).splitlines()[0]}")
                continue
            for row in rows:
                console.print("  " + " | ".join(str(v) for v in row), highlight=False)
    finally:
        con.close()


def reference_from_demo(out_dir: Path | str = DEFAULT_OUTPUT_DIR, seed: int = 1) -> list[Path]:
    """Load the small demo organization into a temporary DuckDB file, then write the table
    reference from it (``models.docs.generate``): what ``asana-sync docs`` does by default."""
    with tempfile.TemporaryDirectory(prefix="asana-sync-docs-") as tmp:
        path = Path(tmp) / "demo.duckdb"
        run_demo(size="small", seed=seed, duckdb_path=str(path), console=Console(file=io.StringIO()))
        return generate(path, out_dir)
