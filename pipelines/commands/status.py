"""``asana-sync status [--json]``: the warehouse's health, and an exit code a monitor can alert on.

Built on ``sync_status`` (read-only: a DuckDB file opened read-only, nothing created), plus what a
monitor needs on top: every run's end and outcome with its 429s, also runs the warehouse has no row
for yet (from this machine's run journal: runs that ended where the warehouse could not be written,
and runs that were killed), the gaps still open, the last success, and when the next reconciliation
(every task listed, deletions found) is due.

Health weighs the last run of every partition, however long ago it ran. Exit codes:

- 0: healthy: every partition's last run succeeded, no gap is open, and the last success is recent
  enough (``--max-age``, when set); also while a run writes the DuckDB file (``healthy`` null);
- the last run's own exit code when it stopped (2 configuration, 3 token, 4 another run held the
  warehouse, 7 the warehouse failed, 9 Asana unreachable, 130 interrupted, 1 a bug), or 137 when it
  was killed (SIGKILL, a power cut, out of memory);
- 11: the first sync was stopped or killed midway and no run is going on with it;
- 5: the last run finished but some requests failed after their retries (gaps of kind ``failed``);
- 6: gaps of kind ``truncated`` are open (also when the run accepted them with ``--accept-gaps``);
- 10: the last success is older than ``--max-age`` (or no run has succeeded yet);
- 7: no warehouse, or it cannot be read.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Sequence

import dlt
from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.pipeline.state_sync import load_pipeline_state_from_destination
from rich.markup import escape
from rich.table import Table

from sources.asana.discovery import resuming_first_sync, should_reconcile
from sources.asana.settings import RECONCILE_EVERY_RUN_BELOW, RECONCILE_INTERVAL_HOURS

from ..errors import (
    EXIT_API,
    EXIT_CONFIG,
    EXIT_DESTINATION,
    EXIT_GAPS,
    EXIT_OK,
    EXIT_STALE,
    EXIT_UNFINISHED,
    SyncError,
    first_line,
)
from ..sync.configuration import resolve_source_config
from ..sync.outcome import COMPLETED, KILLED, STOPPED, recorded
from ..sync.record import killed_row
from ..warehouse.destination import DATASET, Destination
from ..warehouse.journal import Journal
from ..warehouse.locks import read_run_info, run_in_progress
from ..warehouse.preflight import check_destination
from ..warehouse.runtime import make_pipeline
from .console import out

RUN_COLUMNS = ("run_id", "started_at", "ended_at", "seconds", "outcome", "exit_code", "reason", "status", "requests",
               "rows", "markers", "gaps", "throttled", "concurrency", "lowest_concurrency", "concurrency_cap",
               "latency_ms", "rate_share", "waited_seconds", "task_discovery", "sync_partition")
GAP_COLUMNS = ("run_started_at", "kind", "endpoint", "parameters", "reason", "sync_partition")
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


class RunHistory:
    """``sync_runs`` and ``sync_gaps`` as ``status`` needs them: the latest runs, each partition's
    last run and last completed run (ordered by when they ended, however long ago), and the gaps
    those completed runs left open. Tables or columns of older versions are read as far as they go."""

    def __init__(self, client: Any, present: dict[str, set[str]], mine: str, args: tuple) -> None:
        self.client, self.mine, self.args = client, mine, args
        self.columns = [c for c in RUN_COLUMNS if c in present.get("sync_runs", ())]
        self.has_gaps = "sync_gaps" in present and {"sync_partition"} <= present["sync_gaps"]
        ended = "coalesce(ended_at, started_at)" if "ended_at" in self.columns else "started_at"
        self.ended = ended
        outcome = "coalesce(outcome, status)" if "outcome" in self.columns else "status"
        self.completed = f"{outcome} in ({', '.join(repr(o) for o in COMPLETED)})"

    def recent(self) -> list[dict]:
        return self._select(f"select {', '.join(self.columns)} from {self._runs} where {self.mine} "
                            f"order by {self.ended} desc limit {MAX_RUNS}")

    def last_per_partition(self, completed_only: bool = False) -> list[dict]:
        where = f"{self.mine} and {self.completed}" if completed_only else self.mine
        return self._select(
            f"select {', '.join(self.columns)} from (select {', '.join(self.columns)}, row_number() over "
            f"(partition by sync_partition order by {self.ended} desc) as place from {self._runs} where {where}) "
            "ranked where place = 1")

    def open_gaps(self, completed: list[dict]) -> list[dict]:
        """The gaps of each partition's last completed run: the next run reads them again, so only
        those are still missing from the warehouse."""
        if not self.has_gaps:
            return []
        table = self.client.make_qualified_table_name("sync_gaps")
        gaps = []
        for run in completed:
            if not run.get("gaps"):
                continue
            partition = run.get("sync_partition")
            # Only completed runs record gaps, so a partition's latest gaps are its last completed run's.
            rows = self.client.execute_sql(
                f"select {', '.join(GAP_COLUMNS)} from {table} where sync_partition is not distinct from %s and "
                f"run_started_at = (select max(run_started_at) from {table} where sync_partition is not distinct "
                "from %s) order by kind, endpoint", partition, partition)
            gaps += [dict(zip(GAP_COLUMNS, r)) for r in rows]
        return gaps

    @property
    def _runs(self) -> str:
        return self.client.make_qualified_table_name("sync_runs")

    def _select(self, sql: str) -> list[dict]:
        if not self.columns:
            return []
        return [dict(zip(self.columns, r)) for r in self.client.execute_sql(sql, *self.args)]


def _read(destination: Any, status: dict) -> None:
    """The run history of the warehouse (``RunHistory``), into ``status``."""
    pipeline = make_pipeline(destination, read_only=True)
    try:
        with pipeline.sql_client() as client:
            present = {r[0]: {c[0] for c in client.execute_sql(
                "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
                DATASET, r[0])} for r in client.execute_sql(
                "select table_name from information_schema.tables where table_schema = %s and "
                "table_name in ('sync_runs', 'sync_gaps')", DATASET)}
            history = RunHistory(client, present, *partition_filter(destination))
            completed = history.last_per_partition(completed_only=True)
            status["_runs"] = history.recent()
            status["_last"] = history.last_per_partition()
            status["_completed"] = completed
            status["_gaps"] = history.open_gaps(completed)
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


def status_report(destination: Any, now: Optional[datetime] = None, max_age: Optional[timedelta] = None) -> dict:
    """Everything ``status --json`` prints; ``report["exit_code"]`` is the health code above.
    ``max_age``: a last success older than this is unhealthy (default: ``status.max_age`` in the
    configuration, else none)."""
    now = now or datetime.now(timezone.utc)
    max_age = max_age if max_age is not None else configured_max_age()
    try:
        base = sync_status(destination)
    except SyncError as error:
        # No warehouse to read, but runs this machine knows of (a first sync stopped before its first
        # load, say): their verdict, with the reason the warehouse gave.
        if error.exit_code != EXIT_DESTINATION or not _journal_runs(destination):
            raise
        base = {"destination": destination.describe(), "tables": {}, "cursors": {}, "in_progress": False,
                "_runs": [], "_last": [], "_completed": [], "_gaps": [], "unreadable": str(error)}
    report: dict = {"destination": base["destination"], "checked_at": _iso(now),
                    "in_progress": bool(base.get("in_progress")), "run_info": base.get("run_info") or {},
                    "busy": bool(base.get("busy")), "max_age_seconds": max_age.total_seconds() if max_age else None}
    if base.get("busy"):
        return {"healthy": None, "exit_code": EXIT_OK,
                "reason": "a run is writing the DuckDB file now; run status again when it has finished", **report,
                "last_run": None, "runs": [], "tables": {}, "cursors": {}, "open_gaps": [],
                "next_reconciliation": None}
    if "unreadable" not in base:
        _read(destination, base)
    journal = _journal_runs(destination)
    runs = _newest_first([_run_document(row, True) for row in base["_runs"]] +
                         [_run_document(row, False) for row in journal])[:MAX_RUNS]
    last = _last_by_partition([_run_document(row, True) for row in base["_last"]] +
                              [_run_document(row, False) for row in journal])
    successes = {run["sync_partition"]: run["ended_at"] for run in map(lambda r: _run_document(r, True),
                                                                       base["_completed"])}
    gaps = [{k: _json_value(v) for k, v in gap.items()} for gap in base["_gaps"]]
    report.update({
        "last_run": runs[0] if runs else None,
        "last_success_at": max((at for at in successes.values() if at), default=None),
        "runs": runs,
        "tables": {name: int(count) for name, count in base["tables"].items()},
        "cursors": _cursors(base.get("cursors") or {}),
        "open_gaps": gaps,
        "next_reconciliation": base.get("reconciliation"),
        "warehouse_unreadable": base.get("unreadable"),
    })
    verdict = health(list(last.values()), gaps, successes=successes, max_age=max_age, now=now,
                     first_sync_open=bool(base.get("first_sync_open")), in_progress=report["in_progress"])
    return {**verdict, **report}  # the verdict first, for a human reading the document


def _run_document(row: dict, recorded_in_warehouse: bool) -> dict:
    started = _as_datetime(row.get("started_at"))
    seconds = row.get("seconds")
    ended = _as_datetime(row.get("ended_at")) or (started + timedelta(seconds=float(seconds))
                                                   if started and seconds is not None else None)
    outcome = recorded(row)
    return {
        "run_id": row.get("run_id"), "started_at": _iso(started), "ended_at": _iso(ended),
        "seconds": _json_value(seconds), "outcome": outcome.name, "exit_code": outcome.exit_code,
        "reason": outcome.reason,
        **{k: _json_value(row.get(k)) for k in ("requests", "rows", "markers", "gaps", "throttled", "waited_seconds",
                                                  "concurrency", "lowest_concurrency", "concurrency_cap", "latency_ms",
                                                  "rate_share", "task_discovery", "sync_partition")},
        "status": row.get("status"),
        # False: kept in the local journal until the next run can write it to the warehouse.
        "in_warehouse": recorded_in_warehouse,
    }


def _when(run: dict) -> str:
    return run.get("ended_at") or run.get("started_at") or ""


def _newest_first(runs: list[dict]) -> list[dict]:
    seen: set = set()
    unique = []
    for run in sorted(runs, key=_when, reverse=True):
        if run.get("run_id") and run["run_id"] in seen:
            continue
        seen.add(run.get("run_id"))
        unique.append(run)
    return unique


def _last_by_partition(runs: list[dict]) -> dict:
    last: dict = {}
    for run in _newest_first(runs):
        last.setdefault(run.get("sync_partition"), run)
    return last


def _journal_runs(destination: Any) -> list[dict]:
    """Runs the warehouse has no row for yet: ended where it could not be written, or killed (a
    started run whose lock is free). Only this machine's journal knows them."""
    try:
        journal = Journal(destination)
    except SyncError:
        return []
    rows = journal.pending() + [killed_row(marker) for marker in journal.abandoned()]
    if destination.partition is not None:
        rows = [row for row in rows if row.get("sync_partition") == destination.partition.name]
    return rows


def _cursors(cursors: dict) -> dict:
    projects = cursors.get("projects") or {}
    return {
        "projects": projects,
        "assignees": cursors.get("assignees") or {},
        "search": cursors.get("search") or {},
        "oldest_project_cursor": min((c for c in projects.values() if c), default=None),
        "newest_project_cursor": max((c for c in projects.values() if c), default=None),
        "last_reconciled_at": cursors.get("last_reconciled_at"),
        "tasks_to_read_again": cursors.get("tasks_to_read_again", 0),
    }


def health(last_runs: list[dict], gaps: list[dict], successes: Optional[dict] = None,
           max_age: Optional[timedelta] = None, now: Optional[datetime] = None, first_sync_open: bool = False,
           in_progress: bool = False) -> dict:
    """The verdict: the last run of every partition (``last_runs`` newest first; a partition's
    older runs after its last are not weighed), then the first sync, the open gaps and the age of the
    last success. ``{"healthy": false, "exit_code": 137, "reason": ...}``."""
    latest: dict = {}
    for run in last_runs:
        latest.setdefault(run.get("sync_partition"), run)
    stopped = [run for run in latest.values() if run["outcome"] in (STOPPED, KILLED)]
    if stopped:
        last = stopped[0]
        which = f" of partition {last['sync_partition']}" if last.get("sync_partition") else ""
        verb = "was killed" if last["outcome"] == KILLED else "failed"
        why = last.get("reason") or last.get("status")
        return {"healthy": False, "exit_code": last["exit_code"],
                "reason": f"the last run{which} {verb} (exit {last['exit_code']}): {why}"}
    if first_sync_open and not in_progress and not successes:
        return {"healthy": False, "exit_code": EXIT_UNFINISHED,
                "reason": "the first sync has not finished (stopped or killed midway); the next run goes on with it"}
    failed = [g for g in gaps if g.get("kind") == "failed"]
    if failed:
        return {"healthy": False, "exit_code": EXIT_API,
                "reason": f"{len(failed)} request(s) of the last run failed after retries; the next run reads "
                          "them again"}
    if gaps:
        return {"healthy": False, "exit_code": EXIT_GAPS,
                "reason": f"{len(gaps)} listing(s) could not be read completely (truncated by Asana)"}
    stale = _stale(successes or {}, max_age, now or datetime.now(timezone.utc), bool(last_runs))
    if stale:
        return {"healthy": False, "exit_code": EXIT_STALE, "reason": stale}
    if not last_runs:
        return {"healthy": True, "exit_code": EXIT_OK, "reason": "no run recorded yet"}
    return {"healthy": True, "exit_code": EXIT_OK, "reason": "the last run succeeded and no gap is open"}


def _stale(successes: dict, max_age: Optional[timedelta], now: datetime, any_run: bool) -> Optional[str]:
    """Why the last success is too old (``max_age``), if it is."""
    if max_age is None:
        return None
    if not successes:
        return f"no run has succeeded yet (--max-age {format_age(max_age)})"
    for partition, ended in sorted(successes.items(), key=lambda kv: kv[1] or ""):
        at = _as_datetime(ended)
        if at is None or now - at > max_age:
            which = f" of partition {partition}" if partition else ""
            return (f"the last success{which} ended {format_age(now - at) if at else 'at an unknown time'} ago, "
                    f"longer than --max-age {format_age(max_age)}")
    return None


def parse_age(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``1d`` or plain seconds -> a timedelta; ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(text).lower())
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90m, 2h or 1d)")
    return timedelta(seconds=float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)])


def format_age(age: timedelta) -> str:
    seconds = age.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.0f}s"


def configured_max_age() -> Optional[timedelta]:
    """``status.max_age`` of the configuration (``[status] max_age = "2h"``, ``STATUS__MAX_AGE=2h``)."""
    value = dlt.config.get("status.max_age")
    if value in (None, ""):
        return None
    try:
        return parse_age(str(value))
    except ValueError as error:
        raise SyncError(f"status.max_age: {error}", EXIT_CONFIG) from None


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
        status["first_sync_open"] = resuming_first_sync(task_state)
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


def print_status(report: dict) -> None:
    """``status`` as text: the verdict, the last runs, the tables, the cursors and the next reconciliation."""
    verdict = {True: "[green]healthy[/green]", False: "[red]unhealthy[/red]", None: "[yellow]busy[/yellow]"}
    out.print(f"{verdict[report['healthy']]} (exit {report['exit_code']}): {escape(report['reason'])}")
    out.print(f"destination: {report['destination']}", highlight=False)
    if report.get("in_progress"):
        run_info = report.get("run_info") or {}
        since = f" (pid {run_info.get('pid')}, started {str(run_info.get('started_at', ''))[:19]} UTC)" \
            if run_info else ""
        out.print(f"a {run_info.get('what', 'run')} is in progress{since}", highlight=False)
    if report.get("busy"):
        out.print("it is writing to the DuckDB file now; run status again when it has finished", highlight=False)
        return
    runs = Table("ended (UTC)", "partition", "outcome", "exit", "seconds", "requests", "rows", "gaps", "reason",
                 title="last runs")
    for r in report["runs"]:
        runs.add_row(str(r["ended_at"] or r["started_at"] or "")[:19], r.get("sync_partition") or "", r["outcome"],
                     str(r["exit_code"]), f"{r['seconds']:.1f}" if r.get("seconds") is not None else "",
                     str(r.get("requests") or 0), str(r.get("rows") or 0), str(r.get("gaps") or 0),
                     escape(r["reason"] if r["outcome"] not in COMPLETED[:1] else ""))
    out.print(runs)
    tables = Table("table", "rows", title="asana_raw")
    for name, count in report["tables"].items():
        tables.add_row(name, str(count))
    out.print(tables)
    _print_cursors(report.get("cursors") or {})
    _print_reconciliation(report.get("next_reconciliation") or {})


def _print_cursors(cursors: dict) -> None:
    projects = cursors.get("projects") or {}
    out.print(f"task cursors: {len(projects)} projects", highlight=False)
    for gid, cursor in sorted(projects.items(), key=lambda kv: kv[1] or "")[-5:]:
        out.print(f"  project {gid}: modified_since {cursor}", highlight=False)
    if cursors.get("search"):
        out.print(f"task search cursors: {len(cursors['search'])} workspaces (runs between reconciliations "
                  "search each workspace for changed tasks)", highlight=False)
    if cursors.get("tasks_to_read_again"):
        out.print(f"tasks the next run reads again (their subtasks or stories failed, or an event named them): "
                  f"{cursors['tasks_to_read_again']}", highlight=False)


def _print_reconciliation(plan: dict) -> None:
    """When deletions, moves and other silent changes are next caught, and what that costs."""
    if plan.get("last_reconciled_at"):
        cost = f", {plan['last_requests']:,} requests in {plan['last_seconds']:.0f} s" \
            if plan.get("last_requests") is not None else ""
        out.print(f"last reconciliation (every task listed, deletions found): {plan['last_reconciled_at']}{cost}",
                  highlight=False)
    if plan.get("due"):
        when = plan["due_at"] if plan.get("due") == "first run after due_at" else plan["due"]
        out.print(f"next reconciliation: {when} ({plan.get('reason')})", highlight=False)
