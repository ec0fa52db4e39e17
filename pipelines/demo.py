"""``asana-sync demo``: simulator on a free loopback port -> sync -> models -> a short tour of the data."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rich.console import Console
from rich.table import Table

from .pipeline import Destination, SyncError, run_sync

EXAMPLE_QUERIES = [
    ("Open tasks per project (top 5)",
     "select project_name, open_tasks, completed_tasks, avg_close_days from asana.asana__project "
     "order by open_tasks desc limit 5",
     "select p.name, count(*) from asana_raw.tasks t join asana_raw.task_memberships m on m.task_gid = t.gid "
     "join asana_raw.projects p on p.gid = m.project_gid where not t.completed group by p.name "
     "order by 2 desc limit 5"),
    ("Busiest assignees by open tasks (top 5)",
     "select user_name, open_tasks, overdue_tasks from asana.asana__user order by open_tasks desc limit 5",
     "select u.name, count(*) from asana_raw.tasks t join asana_raw.users u on u.gid = t.assignee_gid "
     "where not t.completed group by u.name order by 2 desc limit 5"),
    ("Comments per month (last 6)",
     "select strftime(created_at, '%Y-%m') as month, count(*) as comments from asana_raw.stories "
     "where resource_subtype = 'comment_added' group by 1 order by 1 desc limit 6",
     None),
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


def run_demo(size: str = "demo", seed: int = 1, duckdb_path: str = "demo.duckdb",
             console: Console | None = None) -> None:
    from asana_sim import AsanaSimulator, SimConfig, serve_in_thread

    console = console or Console()
    started = time.monotonic()
    config = SimConfig.demo(seed=seed) if size == "demo" else SimConfig.small(seed=seed)
    # A little weather, so the demo shows retries at work: 1% of GETs fail the way Asana's do.
    config.fault_rate = 0.01
    config.fault_seed = seed
    config.slow_s = 0.2
    sim = AsanaSimulator(config)
    console.print(f"simulated organization: {len(sim.store.projects)} projects, {len(sim.store.tasks)} tasks, "
                  f"{len(sim.store.stories)} stories, {len(sim.store.users)} users "
                  f"(built in {time.monotonic() - started:.1f}s)", highlight=False)
    path = Path(duckdb_path).resolve()
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    destination = Destination.parse("duckdb", str(path))
    # The demo's warehouse is new every time, so its dlt working state must be too.
    home = path.parent / ".asana-sync-demo"
    with serve_in_thread(sim, port=0) as base_url, _env({"ASANA_SYNC_HOME": str(home)}):
        console.print(f"simulator listening on {base_url}", highlight=False)
        import shutil

        shutil.rmtree(home, ignore_errors=True)
        options = {"access_token": config.tokens[0], "base_url": base_url,
                   "requests_per_minute": 200_000, "max_concurrency": 8}
        result = run_sync(destination, source_options=options)
        from .models_cli import build_all

        try:
            result.models = build_all(destination)
        except SyncError as error:
            console.print(f"[yellow]models not built:[/yellow] {error}")
    seconds = time.monotonic() - started
    console.print(f"\nloaded {result.total_rows} rows with {result.requests} requests "
                  f"({result.client_stats.get('retries', 0)} retried after injected faults) "
                  f"in {result.seconds:.1f}s; demo total {seconds:.1f}s -> {path}", highlight=False)
    _tour(path, sim, console)


def _tour(path: Path, sim, console: Console) -> None:
    import duckdb

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
        has_models = con.execute("select count(*) from information_schema.tables where table_schema = 'asana'"
                             ).fetchone()[0] > 0
        for title, model_sql, raw_sql in EXAMPLE_QUERIES:
            sql = model_sql if has_models else raw_sql
            if sql is None:
                sql = model_sql
            try:
                rows = con.execute(sql).fetchall()
            except Exception:  # noqa: BLE001 - fall back to raw tables when a model is missing
                if not raw_sql:
                    continue
                sql, rows = raw_sql, con.execute(raw_sql).fetchall()
            console.print(f"\n[bold]{title}[/bold]\n[dim]{sql}[/dim]")
            for row in rows:
                console.print("  " + " | ".join(str(v) for v in row), highlight=False)
    finally:
        con.close()
