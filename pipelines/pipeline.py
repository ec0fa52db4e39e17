"""One sync, as a library call: build the dlt pipeline, run the asana source, record the run.

The CLI (``pipelines/cli.py``) is a thin shell over ``run_sync``, ``sync_status`` and friends.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

import dlt

from . import destinations, preflight, state
from .errors import (  # noqa: F401 - re-exported: callers import these from here
    EXIT_API,
    EXIT_AUTH,
    EXIT_CONFIG,
    EXIT_DESTINATION,
    EXIT_ERROR,
    EXIT_GAPS,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_MODELS,
    EXIT_OK,
    EXIT_UNREACHABLE,
    SyncError,
    explain,
    find_cause,
    first_line,
)

DATASET = "asana_raw"
PIPELINE_NAME = "asana_sync"
DEFAULT_DUCKDB_FILE = "asana.duckdb"

# Measured on 100k tasks / 1M child rows: dlt's default DuckDB file format took 159 s and 17.5 GB,
# parquet with these settings 10 s and 0.5 GB. setdefault keeps every one overridable the dlt way.
# Completed load jobs are deleted (and loaded packages pruned, see state.py) so the working folder
# stays bounded.
DLT_DEFAULTS = {
    "RUNTIME__LOG_LEVEL": "WARNING",
    "NORMALIZE__WORKERS": "1",
    "DATA_WRITER__DISABLE_COMPRESSION": "true",
    "DATA_WRITER__BUFFER_MAX_ITEMS": "5000",
    "DATA_WRITER__FILE_MAX_ITEMS": "20000",
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "LOAD__DELETE_COMPLETED_JOBS": "true",
    # dlt holds back a Ctrl-C that arrives during normalize or load and then forgets it when the step
    # ends, so the run went on with the next checkpoint step. Raised at once instead, it stops the run
    # (exit 130); what the step had not loaded is loaded by the next run, as after a kill.
    "RUNTIME__INTERCEPT_SIGNALS": "false",
}


@dataclass
class Destination:
    """Where the data goes: a DuckDB file (default) or PostgreSQL (credentials the dlt way)."""

    kind: str = "duckdb"
    duckdb_path: Optional[Path] = None
    # A part of the organization synced on its own (``partitions.Partition``): its own dlt pipeline,
    # state, working folder and run lock in the same warehouse.
    partition: Any = None

    @property
    def pipeline_name(self) -> str:
        return self.partition.pipeline_name if self.partition is not None else PIPELINE_NAME

    @classmethod
    def parse(cls, kind: str = "duckdb", duckdb_path: Optional[str] = None) -> "Destination":
        kind = (kind or "duckdb").lower()
        if kind not in ("duckdb", "postgres"):
            raise SyncError(f"unknown destination {kind!r}: use duckdb or postgres", EXIT_CONFIG)
        path = Path(duckdb_path or DEFAULT_DUCKDB_FILE).expanduser().resolve() if kind == "duckdb" else None
        return cls(kind, path)

    def dlt_destination(self, read_only: bool = False) -> Any:
        if self.kind == "duckdb":
            if read_only:
                from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

                return destinations.duckdb(DuckDbCredentials(str(self.duckdb_path), read_only=True))
            return destinations.duckdb(str(self.duckdb_path))
        # Resolved the dlt way once, so that what names the working folder is what we connect to; a
        # URL without a password is accepted (trust authentication).
        return destinations.postgres(credentials=state.postgres_credentials())

    def identity(self) -> str:
        return state.identity(self)

    @property
    def file_format(self) -> str:
        """Parquet on both: DuckDB reads it natively (dlt's default insert statements were ~15x
        slower there), PostgreSQL through the ADBC driver (adbc-driver-postgresql, a dependency),
        which keeps empty strings and NULLs apart (CSV would load empty strings as NULL)."""
        return "parquet"

    def describe(self) -> str:
        return str(self.duckdb_path) if self.kind == "duckdb" else "PostgreSQL"


def apply_dlt_defaults() -> None:
    for key, value in DLT_DEFAULTS.items():
        os.environ.setdefault(key, value)


def working_dir(destination: Destination) -> Path:
    """dlt's local working state, one folder per warehouse so two warehouses never share cursors."""
    return state.working_dir(destination)


_READER_DIRS: dict[str, str] = {}


def make_pipeline(destination: Destination, read_only: bool = False) -> dlt.Pipeline:
    """The dlt pipeline for ``destination``. ``read_only`` is for commands that only look: a DuckDB
    file opened read-only and a throwaway working folder, so they neither create nor change anything."""
    apply_dlt_defaults()
    if read_only:
        if "dir" not in _READER_DIRS:
            import atexit
            import shutil

            _READER_DIRS["dir"] = tempfile.mkdtemp(prefix="asana-sync-reader-")
            atexit.register(shutil.rmtree, _READER_DIRS["dir"], True)
        pipelines_dir = _READER_DIRS["dir"]
    else:
        pipelines_dir = str(working_dir(destination))
    return dlt.pipeline(
        pipeline_name=destination.pipeline_name,
        destination=destination.dlt_destination(read_only=read_only),
        dataset_name=DATASET,
        pipelines_dir=pipelines_dir,
        progress=None,
    )


@dataclass
class SyncResult:
    started_at: str
    seconds: float
    requests: int
    rows: dict[str, int]
    gaps: list[dict]
    client_stats: dict = field(default_factory=dict)
    unavailable: dict = field(default_factory=dict)
    models: list = field(default_factory=list)
    task_discovery: Optional[str] = None

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class WarehouseView:
    """What the destination already holds, read before and during a sync (``sources.asana.warehouse.Warehouse``).

    Nothing is written to the raw tables until the load step, so a table read once stays true for
    the whole extract and is kept.
    """

    def __init__(self, pipeline: dlt.Pipeline) -> None:
        self.pipeline = pipeline
        self._tables: dict[str, list[dict]] = {}

    def _query(self, sql: str, *args: Any, tables: Sequence[str] = ("tasks", "task_memberships")) -> list[dict]:
        """Run ``sql`` with its ``{table}`` names qualified; no table yet (a first run) means no rows."""
        try:
            with self.pipeline.sql_client() as client:
                names = {t: client.make_qualified_table_name(t) for t in tables}
                with client.execute_query(sql.format(**names), *args) as cursor:
                    columns = [d[0] for d in cursor.description]
                    return [dict(zip(columns, r)) for r in cursor.fetchall()]
        except Exception:  # noqa: BLE001 - a missing table or column is what a first run looks like
            return []

    def rows(self, table: str) -> list[dict]:
        """Every row of a (small) raw table."""
        if table not in self._tables:
            self._tables[table] = self._query("select * from {%s}" % table, tables=(table,))
        return self._tables[table]

    def live_rows(self, table: str) -> list[dict]:
        """Rows of a raw table not marked deleted."""
        return [r for r in self.rows(table) if not r.get("is_deleted")]

    def project_workspaces(self) -> dict[str, str]:
        return {r["gid"]: r["workspace_gid"] for r in self.live_rows("projects")}

    def task_fingerprints(self) -> dict[str, tuple]:
        rows = self._query("select gid, workspace_gid, sync_fingerprint from {tasks} "
                           "where not coalesce(is_deleted, false)")
        return {r["gid"]: (r["workspace_gid"], r["sync_fingerprint"]) for r in rows}

    def parent_gids(self) -> set[str]:
        rows = self._query("select gid from {tasks} where num_subtasks > 0 and not coalesce(is_deleted, false)")
        return {r["gid"] for r in rows}

    def project_task_gids(self, project_gid: str) -> set[str]:
        """Live tasks the warehouse has in a project."""
        rows = self._query("select m.task_gid from {task_memberships} m join {tasks} t on t.gid = m.task_gid "
                           "where m.project_gid = %s and not coalesce(t.is_deleted, false)", project_gid)
        return {r["task_gid"] for r in rows}

    def team_task_gids(self, team_gids: list[str]) -> set[str]:
        """Live tasks in the projects of these teams, and their subtasks at any depth (one recursive
        query, the same on DuckDB and PostgreSQL)."""
        if not team_gids:
            return set()
        marks = ", ".join(["%s"] * len(team_gids))
        rows = self._query(
            "with recursive scoped(gid) as ("
            " select m.task_gid from {task_memberships} m join {projects} p on p.gid = m.project_gid"
            f" where p.team_gid in ({marks})"
            " union select t.gid from {tasks} t join scoped s on t.parent_gid = s.gid)"
            " select distinct s.gid from scoped s join {tasks} t on t.gid = s.gid"
            " where not coalesce(t.is_deleted, false)", *team_gids,
            tables=("tasks", "task_memberships", "projects"))
        return {r["gid"] for r in rows}

    def task_rows(self, gids: list[str]) -> list[dict]:
        result = []
        for start in range(0, len(gids), 500):
            chunk = gids[start:start + 500]
            result += self._query(f"select * from {{tasks}} where gid in ({', '.join(['%s'] * len(chunk))})", *chunk)
        return result


def source_options() -> tuple[str, ...]:
    """What [sources.asana] (or SOURCES__ASANA__*) may set: the source's own arguments, less the two
    that only code passes. Anything else is a typo that dlt would silently ignore."""
    import inspect

    from sources.asana import CODE_ONLY_OPTIONS, asana_source

    return tuple(name for name in inspect.signature(asana_source).parameters if name not in CODE_ONLY_OPTIONS)


def check_config_keys(cwd: Optional[Path] = None) -> None:
    """Refuse unknown options under [sources.asana] and SOURCES__ASANA__*, naming the likely intent."""
    import difflib

    import tomlkit

    known = source_options()

    def unknown(key: str, where: str) -> SyncError:
        option = key.lower().removeprefix("sources__asana__")
        close = difflib.get_close_matches(option, known, n=1, cutoff=0.7)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known options: {', '.join(known)}"
        return SyncError(f"unknown option {key!r} in {where}{hint}", EXIT_CONFIG)

    folder = (cwd or Path.cwd()) / ".dlt"
    for name in ("config.toml", "secrets.toml"):
        path = folder / name
        if not path.exists():
            continue
        try:
            document = tomlkit.parse(path.read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - tomlkit's own parse errors
            raise SyncError(f"malformed config file {path}: {first_line(exc)}", EXIT_CONFIG) from None
        _check_section_names(document, str(path))
        section = document.get("sources", {}).get("asana", {})
        for key, value in section.items():
            if not isinstance(value, dict) and key not in known:
                raise unknown(key, f"{path} [sources.asana]")
    for key in os.environ:
        _check_env_section(key)
        if key.upper().startswith("SOURCES__ASANA__"):
            option = key[len("SOURCES__ASANA__"):].lower()
            if "__" not in option and option not in known:
                raise unknown(key, "the environment")


def _looks_like(name: str, target: str) -> bool:
    import difflib

    name = name.lower()
    return name != target and difflib.SequenceMatcher(None, name, target).ratio() >= 0.8


def _check_section_names(document: Any, where: str) -> None:
    """A section that looks like ours ([source.asana], [sources.asanna]) is a typo dlt would ignore."""
    for top, value in document.items():
        if not isinstance(value, dict):
            continue
        if top == "sources":
            names = [k for k, v in value.items() if isinstance(v, dict) and _looks_like(k, "asana")]
            if names:
                raise SyncError(f"unknown section [sources.{names[0]}] in {where}; did you mean [sources.asana]?",
                                EXIT_CONFIG)
        elif _looks_like(top, "sources"):
            names = [k for k, v in value.items() if isinstance(v, dict) and (k == "asana" or _looks_like(k, "asana"))]
            if names:
                raise SyncError(f"unknown section [{top}.{names[0]}] in {where}; did you mean [sources.asana]?",
                                EXIT_CONFIG)


def _check_env_section(key: str) -> None:
    parts = key.split("__")
    if len(parts) < 3:
        return
    first, second = parts[0].lower(), parts[1].lower()
    if (first, second) == ("sources", "asana"):
        return
    if (first == "sources" or _looks_like(first, "sources")) and (second == "asana" or _looks_like(second, "asana")):
        raise SyncError(f"unknown environment variable {key!r}; did you mean "
                        f"'SOURCES__ASANA__{'__'.join(parts[2:])}'?", EXIT_CONFIG)


def run_lock(destination: Destination, what: str = "run") -> "state.RunLock":
    """The lock every writer takes (``run``, ``models run``); acquiring it raises SyncError (exit 4)."""
    return state.RunLock(destination, what)


def run_sync(
    destination: Destination,
    workspaces: Optional[Sequence[str]] = None,
    resources: Optional[Sequence[str]] = None,
    full_refresh: bool = False,
    source_options: Optional[dict] = None,
    on_progress: Optional[Callable[[str, dict], None]] = None,
) -> SyncResult:
    """Run one sync into ``destination``; raises ``SyncError`` with an exit code on failure."""
    from .partitions import duckdb_writer

    check_config_keys()
    if destination.partition is not None:
        if full_refresh:
            raise SyncError(f"partition {destination.partition.name} cannot --full-refresh: it would drop the tables "
                            "every partition shares; run a full refresh without partitions", EXIT_CONFIG)
        if workspaces:
            raise SyncError("a partition sets its own scope: drop --workspace", EXIT_CONFIG)
        source_options = destination.partition.source_options(source_options)
    preflight.check_source_inputs(source_options)
    lock = run_lock(destination).acquire()
    try:
        with duckdb_writer(destination, _say(on_progress)):
            return _run_sync(destination, workspaces, resources, full_refresh, source_options, on_progress)
    finally:
        lock.release()


def _run_sync(destination: Destination, workspaces: Optional[Sequence[str]],
              resources: Optional[Sequence[str]], full_refresh: bool, source_options: Optional[dict],
              on_progress: Optional[Callable[[str, dict], None]]) -> SyncResult:
    from sources.asana import RunReport, asana_source

    started = time.monotonic()
    started_at = datetime.now(timezone.utc)
    report = RunReport()
    progress = on_progress or (lambda phase, info: None)
    rows: dict[str, int] = {}
    bound = None
    try:
        try:
            preflight.check_destination(destination)
            bound = state.bind_state(destination, say=_say(on_progress))
            pipeline = make_pipeline(destination)
            options = dict(source_options or {})
            if not full_refresh:
                options.setdefault("warehouse", WarehouseView(pipeline))
            if workspaces:
                options["workspaces"] = list(workspaces)
            source = asana_source(**options, report=report)
            selected = _selected(source, resources)
            if full_refresh:
                # One step: the old tables are dropped in the same load that writes the new ones.
                _run_step(pipeline, destination, source.with_resources(*selected), "", rows, progress, report,
                          refresh=True)
            else:
                for label, step in checkpoint_steps(source, options, report, selected):
                    _run_step(pipeline, destination, step, label, rows, progress, report)
        except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - every failure: one line, an exit code
            error = state.after_failure(destination, exc, explain(exc), full_refresh and bound is not None)
            _record_failure(destination, started_at, time.monotonic() - started, error, report)
            raise error from exc
        result = SyncResult(started_at=started_at.isoformat(), seconds=time.monotonic() - started,
                            requests=report.requests, rows=dict(sorted(rows.items())), gaps=list(report.gaps),
                            client_stats=report.client_stats, unavailable=dict(report.unavailable),
                            task_discovery=report.task_discovery)
        _record_run(pipeline, result, destination.file_format, destination)
        return result
    finally:
        if report.client is not None:
            report.client.close()


def _say(on_progress: Optional[Callable[[str, dict], None]]) -> Callable[[str], None]:
    """State notes (restored, started fresh, ...) go to the progress callback as phase ``note``."""
    import logging

    def say(message: str) -> None:
        if on_progress:
            on_progress("note", {"message": message})
        else:
            logging.getLogger("asana_sync").warning(message)

    return say


# A long run commits its progress in steps: each step loads its tasks, their child rows and stories
# together with the cursors that cover them, so a crash or a kill costs at most the unfinished step.
# Steps start at one project and double while a step takes under half this many seconds, so a fast
# run makes a few loads and a throttled one checkpoints about once a minute.
CHECKPOINT_SECONDS = float(os.environ.get("ASANA_SYNC_CHECKPOINT_SECONDS", "60"))
MAX_STEP_PROJECTS = 64
TASK_RESOURCES = ("tasks", "stories")


def _selected(source: Any, resources: Optional[Sequence[str]]) -> list[str]:
    selected = list(resources or source.resources)
    unknown = sorted(set(selected) - set(source.resources))
    if unknown:
        raise SyncError(f"unknown resource(s) {', '.join(unknown)}; choose from {', '.join(source.resources)}",
                        EXIT_CONFIG)
    return selected


def checkpoint_steps(first: Any, options: dict, report: Any, selected: Sequence[str]) -> Iterator[tuple[str, Any]]:
    """The steps of one run, each a source limited to what it loads: first everything but the tasks
    (from ``first``, the run's source; listings of one request per project, user or entry stop
    taking parents after ``CHECKPOINT_SECONDS`` and go on in further steps), then the tasks of a few
    projects at a time, the last step with the tasks in no project, the subtasks of known parents
    and deletions (again in as many steps as its time allows). Every step shares the run's
    ``SyncContext`` (client, cached listings, task crawl, step clock)."""
    from sources.asana import asana_source

    others = [r for r in selected if r not in TASK_RESOURCES]
    task_resources = [r for r in selected if r in TASK_RESOURCES]
    ctx = report.context
    clock = ctx.clock
    if others:
        clock.start(CHECKPOINT_SECONDS)
        yield "", first.with_resources(*others)
        while clock.unfinished:
            again = [r for r in others if r in clock.unfinished]
            clock.start(CHECKPOINT_SECONDS)
            yield f"{', '.join(again)} continued", asana_source(**options, report=report, context=ctx) \
                .with_resources(*again)
    if not task_resources:
        return
    projects = ctx.listings.project_gids()
    done, size = 0, 1
    while True:
        group = projects[done:done + size]
        done += len(group)
        final = done >= len(projects)
        started = time.monotonic()
        clock.start(CHECKPOINT_SECONDS)
        step = asana_source(**options, report=report, context=ctx, task_projects=group, final_step=final)
        yield f"tasks of {done}/{len(projects)} projects", step.with_resources(*task_resources)
        if final:
            break
        if time.monotonic() - started < CHECKPOINT_SECONDS / 2:
            size = min(size * 2, MAX_STEP_PROJECTS)
    while "tasks" in clock.unfinished:
        clock.start(CHECKPOINT_SECONDS)
        step = asana_source(**options, report=report, context=ctx, task_projects=[], final_step=True)
        yield "tasks in no project, continued", step.with_resources(*task_resources)


def _run_step(pipeline: dlt.Pipeline, destination: Destination, source: Any, label: str, rows: dict,
              progress: Callable[[str, dict], None], report: Any, refresh: bool = False) -> None:
    """Extract, normalize and load one step; its rows and dlt state land together or not at all."""
    suffix = f" ({label})" if label else ""
    progress("extract" + suffix, {"report": report})
    pipeline.extract(source, refresh="drop_sources" if refresh else None, loader_file_format=destination.file_format)
    progress("normalize" + suffix, {"report": report})
    pipeline.normalize(workers=int(os.environ.get("NORMALIZE__WORKERS", "1")))
    info = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    for table, count in (dict(info.row_counts) if info else {}).items():
        if not table.startswith("_dlt"):
            rows[table] = rows.get(table, 0) + count
    progress("load" + suffix, {"report": report})
    _load(pipeline, destination, refresh)


def _load(pipeline: dlt.Pipeline, destination: Destination, full_refresh: bool) -> None:
    if full_refresh:
        # Only now that everything was read: views would stop PostgreSQL dropping raw tables.
        drop_models(destination)
    from .partitions import load_lock

    with load_lock(destination):
        pipeline.load()


def _record_run(pipeline: dlt.Pipeline, result: SyncResult, file_format: str,
                destination: Optional[Destination] = None) -> None:
    """One row per run in ``sync_runs``, and what could not be read in ``sync_gaps``; both name the
    partition (``sync_partition``, NULL for a run of everything)."""
    from .partitions import load_lock

    with load_lock(destination or Destination()):
        _record_run_rows(pipeline, result, file_format,
                         destination.partition.name if destination is not None and destination.partition else None)


def _record_run_rows(pipeline: dlt.Pipeline, result: SyncResult, file_format: str, partition: Optional[str]) -> None:
    from sources.asana.settings import columns

    if result.gaps:
        pipeline.run([{**gap, "sync_partition": partition} for gap in result.gaps], table_name="sync_gaps",
                     write_disposition="append", loader_file_format=file_format, columns=columns("sync_gaps"))
    stats = result.client_stats
    failed = any(g.get("kind") == "failed" for g in result.gaps)
    row = {
        "started_at": result.started_at,
        "seconds": round(result.seconds, 3),
        "requests": result.requests,
        "rows": result.total_rows,
        "gaps": len(result.gaps),
        "status": "failures" if failed else "gaps" if result.gaps else "ok",
        "throttled": stats.get("throttled", 0),
        "concurrency": stats.get("concurrency"),
        "lowest_concurrency": stats.get("lowest_concurrency"),
        "waited_seconds": stats.get("waited_seconds", 0.0),
        "task_discovery": result.task_discovery,
        "sync_partition": partition,
        # How fast Asana answered, the cap it showed (if any) and the share of the rate limit used
        # while there were requests to make.
        "latency_ms": stats.get("latency_ms"),
        "concurrency_cap": stats.get("concurrency_cap"),
        "rate_share": stats.get("rate_share"),
    }
    pipeline.run([row], table_name="sync_runs", write_disposition="append", loader_file_format=file_format,
                 columns=columns("sync_runs"))


def _record_failure(destination: Destination, started_at: datetime, seconds: float, error: SyncError,
                    report: Any = None) -> None:
    """Best effort: a failed run shows in ``status`` too, unless the warehouse is what failed, there
    is no warehouse yet, the run was interrupted (stop now), or dlt holds a package it will retry
    (recording would load that first)."""
    if error.exit_code in (EXIT_DESTINATION, EXIT_LOCKED, EXIT_INTERRUPTED):
        return
    if not state.warehouse_exists(destination):
        return  # a first run that failed (say, a wrong token) should not leave a warehouse behind
    from sources.asana.settings import columns

    try:
        pipeline = make_pipeline(destination)
        if pipeline.has_pending_data:
            return
        requests = report.requests if report is not None else 0
        from .partitions import load_lock

        with load_lock(destination):
            pipeline.run([{"started_at": started_at.isoformat(), "seconds": round(seconds, 3), "requests": requests,
                           "rows": 0, "gaps": 0, "status": f"failed (exit {error.exit_code}): {error}"[:500],
                           "sync_partition": destination.partition.name if destination.partition else None}],
                         table_name="sync_runs", write_disposition="append",
                         loader_file_format=destination.file_format, columns=columns("sync_runs"))
    except Exception:  # noqa: BLE001 - the original error is what the user needs to see
        return


def sync_status(destination: Destination) -> dict:
    """Last runs, rows per table and cursors, read from the warehouse without changing anything.

    Works while a run is in progress: PostgreSQL and a DuckDB file between its writes are read
    read-only; while a run holds the DuckDB file, ``in_progress`` says so and nothing else is read."""
    from dlt.common.destination.exceptions import DestinationUndefinedEntity
    from dlt.pipeline.state_sync import load_pipeline_state_from_destination

    status: dict = {"destination": destination.describe(), "runs": [], "tables": {}, "cursors": {},
                    "in_progress": state.run_in_progress(destination), "run_info": {}}
    if status["in_progress"]:
        status["run_info"] = state.read_run_info(destination)
    try:
        preflight.check_destination(destination, write=False)
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
    from .status import next_reconciliation

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


def require_warehouse(destination: Destination) -> None:
    """Commands that work on an existing warehouse refuse (exit 7) rather than create an empty one."""
    preflight.check_destination(destination, write=False)


# --- the SQL models, as library calls (the CLI's `models` commands and `run` use these) -----------


def model_project() -> Any:
    from .models import ModelError, ModelProject

    try:
        return ModelProject.load()
    except ModelError as error:
        raise SyncError(f"model error: {error}", EXIT_MODELS) from None


def build_models(destination: Destination, select: Optional[str] = None) -> list:
    """Build the models into schema ``asana_analytics``; a failure names the model and its file."""
    from .models import ModelError

    project = model_project()
    try:
        return project.build(make_pipeline(destination), select=select)
    except ModelError as error:
        raise SyncError(f"model build failed: {error}", EXIT_MODELS) from None
    except Exception as error:  # noqa: BLE001 - the destination's own error, in one line
        raise SyncError(f"cannot build models in {destination.describe()}: {first_line(error)}",
                        EXIT_DESTINATION) from None


def run_model_tests(destination: Destination, select: Optional[str] = None, read_only: bool = False) -> list:
    """Run the models' data tests (grain unique and not null, references resolve). ``read_only``
    (the ``models test`` command) requires an existing warehouse and opens it read-only."""
    project = model_project()
    if read_only:
        require_warehouse(destination)
    try:
        return project.test(make_pipeline(destination, read_only=read_only), select=select)
    except Exception as error:  # noqa: BLE001
        raise SyncError(f"cannot test models in {destination.describe()}: {first_line(error)}",
                        EXIT_DESTINATION) from None



def drop_models(destination: Destination) -> None:
    """Drop the model schema: PostgreSQL refuses to drop raw tables that views still depend on,
    which a full refresh must do. The next build recreates everything."""
    from .models import MODEL_SCHEMA

    pipeline = make_pipeline(destination)
    try:
        with pipeline.sql_client() as client:
            # Unqualified: the connection's catalog is the warehouse; DuckDB calls "<file>"."<schema>"
            # ambiguous in DROP SCHEMA when the file and the schema share a name (asana.duckdb).
            client.execute_sql(f'drop schema if exists "{MODEL_SCHEMA}" cascade')
    except Exception as error:  # noqa: BLE001
        raise SyncError(f"cannot drop the models in {destination.describe()}: {first_line(error)}",
                        EXIT_DESTINATION) from None
