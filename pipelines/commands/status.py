"""``asana-sync status --json``: the warehouse's health as one JSON document, and an exit code a
monitor can alert on.

Built on ``sync_status`` (read-only: a DuckDB file opened read-only, nothing created), plus
what a monitor needs on top: every run's end and outcome with its 429s, the gaps still open (those
of the latest finished run: each run reads again what the previous one could not, so only the
latest run's gaps are still missing from the warehouse), and when the next reconciliation (every
task listed, deletions found) is due.

Exit codes (``health_code``):

- 0: the last run succeeded and no gap is open (also: no run yet, or a run is writing the DuckDB
  file right now, so nothing can be read; ``healthy`` is then null);
- 5: the last run finished but some requests failed after their retries (gaps of kind ``failed``);
- 6: gaps of kind ``truncated`` are open (also when the run accepted them with ``--accept-gaps``);
- the last run's own exit code when it failed as a whole (2 configuration, 3 token, 5 Asana, ...);
- 7: no warehouse, or it cannot be read (as plain ``status``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.pipeline.state_sync import load_pipeline_state_from_destination

from sources.asana.settings import RECONCILE_EVERY_RUN_BELOW, RECONCILE_INTERVAL_HOURS
from sources.asana.discovery import resuming_first_sync, should_reconcile

from ..errors import EXIT_API, EXIT_DESTINATION, EXIT_GAPS, EXIT_OK, SyncError, first_line
from ..sync.configuration import resolve_source_config
from ..sync.outcome import STOPPED, recorded
from ..warehouse.destination import DATASET, Destination
from ..warehouse.locks import read_run_info, run_in_progress
from ..warehouse.preflight import check_destination
from ..warehouse.runtime import make_pipeline

RUN_COLUMNS = ("started_at", "seconds", "requests", "rows", "gaps", "status", "throttled", "concurrency",
               "lowest_concurrency", "waited_seconds", "task_discovery", "sync_partition")
GAP_COLUMNS = ("run_started_at", "kind", "endpoint", "parameters", "reason")
MAX_RUNS = 10


def _iso(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return str(value)


def _as_datetime(value: Any) -> Optional[datetime]:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if hasattr(value, "is_integer") and not isinstance(value, bool):  # float, Decimal
        return float(value)
    return value


def _read(destination: Any, status: dict) -> None:
    """Runs with every column, and the gaps of the latest finished run."""
    pipeline = make_pipeline(destination, read_only=True)
    try:
        with pipeline.sql_client() as client:
            present = {r[0]: {c[0] for c in client.execute_sql(
                "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
                DATASET, r[0])} for r in client.execute_sql(
                "select table_name from information_schema.tables where table_schema = %s and "
                "table_name in ('sync_runs', 'sync_gaps')", DATASET)}
            runs: list[dict] = []
            mine, args = partition_filter(destination)
            if "sync_runs" in present:
                columns = [c for c in RUN_COLUMNS if c in present["sync_runs"]]
                rows = client.execute_sql(
                    f"select {', '.join(columns)} from {client.make_qualified_table_name('sync_runs')} "
                    f"where {mine} order by started_at desc limit {MAX_RUNS}", *args)
                runs = [dict(zip(columns, r)) for r in rows]
            status["_runs"] = runs
            finished = next((r for r in runs if recorded(r).name != STOPPED), None)
            gaps: list[dict] = []
            if finished is not None and finished.get("gaps") and "sync_gaps" in present:
                # Only finished runs record gaps, so the latest gaps are that run's (its report's clock
                # started a moment after sync_runs.started_at: the two are not equal).
                table = client.make_qualified_table_name("sync_gaps")
                rows = client.execute_sql(
                    f"select {', '.join(GAP_COLUMNS)} from {table} where run_started_at = "
                    f"(select max(run_started_at) from {table} where {mine}) and {mine} order by kind, endpoint",
                    *args, *args)
                gaps = [dict(zip(GAP_COLUMNS, r)) for r in rows]
            status["_gaps"] = gaps
    except Exception as exc:  # noqa: BLE001
        raise SyncError(f"cannot read {destination.describe()}: {first_line(exc)}", EXIT_DESTINATION) from None


def next_reconciliation(live_tasks: int, task_state: dict, now: datetime, last_cost: Optional[dict] = None,
                        options: Optional[tuple[str, int, float]] = None) -> dict:
    """When the next run lists every task (finding deletions and moves), as ``discovery.should_reconcile``
    decides it with the configured ``reconcile``, ``reconcile_below_tasks`` and
    ``reconcile_interval_hours``, and what the last reconciliation cost (``last_cost``:
    ``{"requests": 5210, "seconds": 312.5}`` from ``sync_runs``)."""
    mode, below, hours = options or reconcile_options()
    last = task_state.get("last_reconciled_at")
    info: dict = {"mode": mode, "last_reconciled_at": last, "last_requests": (last_cost or {}).get("requests"),
                  "last_seconds": _json_value((last_cost or {}).get("seconds"))}
    if resuming_first_sync(task_state) and mode != "always":
        return {**info, "due": "after the first sync", "due_at": None,
                "reason": "the first sync is not finished; the run that finishes it is followed by reconciling runs"}
    if should_reconcile(mode, live_tasks, last, now=now, below_tasks=below, interval_hours=hours):
        reason = {"always": "reconcile = always"}.get(mode) or (
            "the warehouse holds no tasks yet" if not live_tasks else
            f"fewer than {below:,} tasks: every run reconciles" if
            live_tasks < below else f"more than {hours:g} h since the last one")
        return {**info, "due": "next run", "due_at": _iso(now), "reason": reason}
    if mode == "never":
        return {**info, "due": "never", "due_at": None, "reason": "reconcile = never"}
    last_at = _as_datetime(last)
    due_at = last_at + timedelta(hours=hours) if last_at else now
    return {**info, "due": "first run after due_at", "due_at": _iso(due_at),
            "reason": f"{live_tasks:,} tasks: reconciles once every {hours:g} h"}


def reconcile_options() -> tuple[str, int, float]:
    """``reconcile``, ``reconcile_below_tasks`` and ``reconcile_interval_hours`` as ``run`` would
    resolve them (config, environment); the defaults if unset or unreadable."""
    try:
        config = resolve_source_config({})
        return (str(getattr(config, "reconcile", None) or "auto"),
                int(getattr(config, "reconcile_below_tasks", None) or RECONCILE_EVERY_RUN_BELOW),
                float(getattr(config, "reconcile_interval_hours", None) or RECONCILE_INTERVAL_HOURS))
    except Exception:  # noqa: BLE001 - status must work without the source's configuration
        return "auto", RECONCILE_EVERY_RUN_BELOW, float(RECONCILE_INTERVAL_HOURS)


def status_report(destination: Any, now: Optional[datetime] = None) -> dict:
    """Everything ``status --json`` prints; ``report["exit_code"]`` is the health code above."""
    now = now or datetime.now(timezone.utc)
    base = sync_status(destination)
    report: dict = {"destination": base["destination"], "checked_at": _iso(now),
                    "in_progress": bool(base.get("in_progress")), "run_info": base.get("run_info") or {},
                    "busy": bool(base.get("busy"))}
    if base.get("busy"):
        return {"healthy": None, "exit_code": EXIT_OK,
                "reason": "a run is writing the DuckDB file now; run status again when it has finished", **report,
                "last_run": None, "runs": [], "tables": {}, "cursors": {}, "open_gaps": [],
                "next_reconciliation": None}
    _read(destination, base)
    runs = []
    for row in base["_runs"]:
        started = _as_datetime(row.get("started_at"))
        seconds = float(row.get("seconds") or 0)
        outcome = recorded(row)
        runs.append({
            "started_at": _iso(started), "ended_at": _iso(started + timedelta(seconds=seconds)) if started else None,
            "seconds": seconds, "outcome": outcome.name, "exit_code": outcome.exit_code,
            **{k: _json_value(row.get(k)) for k in ("requests", "rows", "gaps", "throttled", "waited_seconds",
                                                      "concurrency", "lowest_concurrency", "task_discovery",
                                                      "sync_partition")},
            "status": row.get("status"),
        })
    gaps = [{k: _json_value(v) for k, v in gap.items()} for gap in base["_gaps"]]
    cursors = base.get("cursors") or {}
    projects = cursors.get("projects") or {}
    report.update({
        "last_run": runs[0] if runs else None,
        "runs": runs,
        "tables": {name: int(count) for name, count in base["tables"].items()},
        "cursors": {
            "projects": projects,
            "assignees": cursors.get("assignees") or {},
            "search": cursors.get("search") or {},
            "oldest_project_cursor": min((c for c in projects.values() if c), default=None),
            "newest_project_cursor": max((c for c in projects.values() if c), default=None),
            "last_reconciled_at": cursors.get("last_reconciled_at"),
            "tasks_to_read_again": cursors.get("tasks_to_read_again", 0),
        },
        "open_gaps": gaps,
        "next_reconciliation": base.get("reconciliation"),
    })
    return {**health(runs, gaps), **report}  # the verdict first, for a human reading the document


def health(runs: list[dict], gaps: list[dict]) -> dict:
    if not runs:
        return {"healthy": True, "exit_code": EXIT_OK, "reason": "no run recorded yet"}
    # Partitions run side by side: each one's last run counts, not only the latest of them all.
    latest = {}
    for run in runs:
        latest.setdefault(run.get("sync_partition"), run)
    failed_last = [run for run in latest.values() if run["outcome"] == STOPPED]
    if failed_last:
        last = failed_last[0]
        which = f" of partition {last['sync_partition']}" if last.get("sync_partition") else ""
        return {"healthy": False, "exit_code": last["exit_code"],
                "reason": f"the last run{which} failed: {last['status']}"}
    failed = [g for g in gaps if g.get("kind") == "failed"]
    if failed:
        return {"healthy": False, "exit_code": EXIT_API,
                "reason": f"{len(failed)} request(s) of the last run failed after retries; the next run reads "
                          "them again"}
    if gaps:
        return {"healthy": False, "exit_code": EXIT_GAPS,
                "reason": f"{len(gaps)} listing(s) could not be read completely (truncated by Asana)"}
    return {"healthy": True, "exit_code": EXIT_OK, "reason": "the last run succeeded and no gap is open"}


def sync_status(destination: Destination) -> dict:
    """Last runs, rows per table and cursors, read from the warehouse without changing anything.

    Works while a run is in progress: PostgreSQL and a DuckDB file between its writes are read
    read-only; while a run holds the DuckDB file, ``in_progress`` says so and nothing else is read."""
    status: dict = {"destination": destination.describe(), "runs": [], "tables": {}, "cursors": {},
                    "in_progress": run_in_progress(destination), "run_info": {}}
    if status["in_progress"]:
        status["run_info"] = read_run_info(destination)
    try:
        check_destination(destination, write=False)
    except SyncError as error:
        if status["in_progress"] and destination.kind == "duckdb" and "locked" in str(error):
            status["busy"] = True  # the run is loading and holds the file; that is the status
            return status
        raise
    pipeline = make_pipeline(destination, read_only=True)
    try:
        with pipeline.sql_client() as client:
            tables = [r[0] for r in client.execute_sql(
                "select table_name from information_schema.tables where table_schema = %s order by table_name",
                DATASET)]
            for table in tables:
                if table.startswith("_dlt"):
                    continue
                status["tables"][table] = client.execute_sql(
                    f"select count(*) from {client.make_qualified_table_name(table)}")[0][0]
            mine, args = partition_filter(destination)
            if "sync_runs" in tables:
                status["runs"] = [
                    dict(zip(("started_at", "seconds", "requests", "rows", "gaps", "status"), r))
                    for r in client.execute_sql(
                        "select started_at, seconds, requests, rows, gaps, status from "
                        f"{client.make_qualified_table_name('sync_runs')} where {mine} "
                        "order by started_at desc limit 10",
                        *args)
                ]
            status["live_tasks"] = _live_tasks(client, tables)
            last_reconciliation = _last_reconciliation(client, tables, mine, args)
    except Exception as exc:  # noqa: BLE001
        raise SyncError(f"cannot read {destination.describe()}: {first_line(exc)}", EXIT_DESTINATION) from None
    task_state: dict = {}
    try:
        with pipeline.destination_client() as client:
            remote = load_pipeline_state_from_destination(destination.pipeline_name, client) or {}
        resources = remote.get("sources", {}).get("asana", {}).get("resources", {})
        task_state = resources.get("tasks", {})
        status["cursors"] = {
            "projects": task_state.get("project_cursors", {}),
            "assignees": task_state.get("assignee_cursors", {}),
            "search": task_state.get("search_cursors", {}),
            "last_reconciled_at": task_state.get("last_reconciled_at"),
            "tasks_to_read_again": len(task_state.get("retry_tasks", [])),
        }
    except (DestinationUndefinedEntity, Exception):  # noqa: BLE001 - cursors are informative only
        status["cursors"] = {}
    status["reconciliation"] = next_reconciliation(status.get("live_tasks", 0), task_state,
                                                   datetime.now(timezone.utc), last_reconciliation)
    return status


def _live_tasks(client: Any, tables: Sequence[str]) -> int:
    if "tasks" not in tables:
        return 0
    name = client.make_qualified_table_name("tasks")
    try:
        return int(client.execute_sql(f"select count(*) from {name} where not coalesce(is_deleted, false)")[0][0])
    except Exception:  # noqa: BLE001 - an old table without is_deleted
        return int(client.execute_sql(f"select count(*) from {name}")[0][0])


def partition_filter(destination: Destination) -> tuple[str, tuple]:
    """The condition (and its parameters) limiting ``sync_runs`` / ``sync_gaps`` to the destination's
    partition; ``true`` without one."""
    if destination.partition is None:
        return "true", ()
    return "sync_partition = %s", (destination.partition.name,)


def _last_reconciliation(client: Any, tables: Sequence[str], mine: str = "true", args: tuple = ()) -> dict:
    """What the last reconciling run cost (warehouses loaded before ``task_discovery`` have none)."""
    if "sync_runs" not in tables:
        return {}
    try:
        found = client.execute_sql(
            f"select started_at, seconds, requests from {client.make_qualified_table_name('sync_runs')} "
            f"where {mine} and task_discovery = 'reconcile' order by started_at desc limit 1",
            *args)
    except Exception:  # noqa: BLE001 - the column appears with the first run of this version
        return {}
    return dict(zip(("started_at", "seconds", "requests"), found[0])) if found else {}
