"""One sync, as a library call: ``run_sync`` takes the run lock, binds the local state to the
warehouse, builds the run's ``SyncContext`` from options resolved once, loads it in checkpoint
steps and records the run, whatever its end. The CLI (``pipelines/commands/cli.py``) is a thin
shell over it."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from sources.asana import RunReport, SyncContext, asana_source

from ..errors import EXIT_CONFIG, SyncError, explain
from ..warehouse.binding import after_failure, bind_state, load_began
from ..warehouse.destination import Destination
from ..warehouse.journal import Journal
from ..warehouse.locks import RunLock, duckdb_writer
from ..warehouse.preflight import check_destination
from ..warehouse.runtime import make_pipeline
from ..warehouse.view import WarehouseView
from .configuration import resolve_options
from .outcome import Outcome, decide
from .partitions import Partition, adopt_named_partition, resolve_partition
from .record import RunCounts, RunInfo, history_key, keep_history, killed_row, record_run, record_stop, run_row
from .steps import checkpoint_seconds, checkpoint_steps, run_step, selected_resources

Progress = Callable[[str, dict], None]


@dataclass
class SyncResult:
    started_at: str
    seconds: float
    requests: int
    rows: dict[str, int]
    gaps: list[dict]
    outcome: Outcome
    client_stats: dict = field(default_factory=dict)
    unavailable: dict = field(default_factory=dict)
    models: list = field(default_factory=list)
    task_discovery: Optional[str] = None
    # Per table, the rows written that only clear a parent's old rows (stored rows = rows - markers).
    markers: dict[str, int] = field(default_factory=dict)
    run_id: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_markers(self) -> int:
        return sum(self.markers.values())


@dataclass
class RunRequest:
    """What one run is asked to do, besides the source's options."""

    workspaces: Sequence[str] = ()
    resources: Sequence[str] = ()
    full_refresh: bool = False
    accept_gaps: bool = False
    transport: Any = None  # an httpx transport, for in-process tests against the simulator
    checkpoint_seconds: Optional[float] = None


def run_lock(destination: Destination, what: str = "run") -> RunLock:
    """The lock every writer takes (``run``, ``models run``); acquiring it raises SyncError (exit 4)."""
    return RunLock(destination, what)


def run_sync(destination: Destination, workspaces: Optional[Sequence[str]] = None,
             resources: Optional[Sequence[str]] = None, full_refresh: bool = False,
             source_options: Optional[dict] = None, on_progress: Optional[Progress] = None,
             accept_gaps: bool = False, transport: Any = None,
             checkpoint_seconds: Optional[float] = None) -> SyncResult:
    """Run one sync into ``destination``; raises ``SyncError`` with an exit code on failure.
    Every run is recorded, however it ends (``sync.record``).

    ``source_options`` override the configured ``SourceOptions`` (``{"requests_per_minute": 150}``);
    ``accept_gaps`` makes truncated listings an exit-0 outcome."""
    request = RunRequest(tuple(workspaces or ()), tuple(resources or ()), full_refresh, accept_gaps, transport,
                         checkpoint_seconds)
    progress = on_progress or (lambda phase, info: None)
    run = RunInfo.start(destination)
    progress("run", run.fields())
    journal = open_journal(destination)
    try:
        if isinstance(destination.partition, Partition) and destination.partition.named:
            # One partition, one identity: a workspace's name becomes its gid before anything is keyed.
            options = resolve_options(_overrides(destination, request, source_options))
            destination.partition = resolve_partition(destination, destination.partition, options)
            run = dataclasses.replace(run, partition=destination.partition.name)
            progress("run", run.fields())
        options = resolve_options(_overrides(destination, request, source_options))
        with run_lock(destination) as lock, duckdb_writer(destination, notes(on_progress)):
            # The run starts its work now (a DuckDB partition may have waited for the file).
            run = dataclasses.replace(run, started_at=datetime.now(timezone.utc))
            if journal is not None:
                journal.begin({"run_id": run.run_id, "started_at": run.started_at.isoformat(),
                               "sync_partition": run.partition, "destination": run.destination}, lock.path)
                reap_killed_runs(journal, lock.path, run.run_id)
            try:
                return _run(destination, options, request, run, journal, progress, notes(on_progress))
            finally:
                if journal is not None:
                    journal.end(run.run_id)
    except (SyncError, KeyboardInterrupt) as exc:
        error = exc if isinstance(exc, SyncError) else explain(exc)
        if not error.recorded and journal is not None:
            journal.post(run_row(run, decide(error=error), run.seconds(), RunCounts()))
        if error is exc:
            raise
        raise error from exc


def _overrides(destination: Destination, request: RunRequest, source_options: Optional[dict]) -> dict:
    overrides = dict(source_options or {})
    if destination.partition is not None:
        if request.full_refresh:
            raise SyncError(f"partition {destination.partition.name} cannot --full-refresh: it would drop the tables "
                            "every partition shares; run a full refresh without partitions", EXIT_CONFIG)
        if request.workspaces:
            raise SyncError("a partition sets its own scope: drop --workspace", EXIT_CONFIG)
        if isinstance(destination.partition, Partition):  # a bare PartitionKey: the scope is in the options
            overrides = destination.partition.source_options(overrides)
    if request.workspaces:
        overrides["workspaces"] = list(request.workspaces)
    return overrides


def open_journal(destination: Destination) -> Optional[Journal]:
    """The warehouse's journal, or None when the warehouse cannot even be named (PostgreSQL
    credentials missing: that run's error says so)."""
    try:
        return Journal(destination)
    except SyncError:
        return None


def reap_killed_runs(journal: Journal, held: Path, own_run: str) -> None:
    """Runs that started and never ended (killed) get their row in the journal, for this run to
    take to the warehouse."""
    dead = journal.abandoned(held=held, own_run=own_run)
    for marker in dead:
        journal.post(killed_row(marker))
    journal.forget([marker["run_id"] for marker in dead])


def _run(destination: Destination, options: Any, request: RunRequest, run: RunInfo, journal: Optional[Journal],
         progress: Progress, say: Callable[[str], None]) -> SyncResult:
    report = RunReport()
    counts = RunCounts()
    rows: dict[str, int] = {}
    markers: dict[str, int] = {}
    bound = None
    ctx: Optional[SyncContext] = None
    try:
        try:
            check_destination(destination)
            bound = bind_state(destination, say=say)
            if isinstance(destination.partition, Partition) and destination.partition.given_as:
                adopt_named_partition(destination, destination.partition.given_as, say)
            pipeline = make_pipeline(destination)
            warehouse = None if request.full_refresh else WarehouseView(pipeline)
            ctx = SyncContext.connect(options, report=report, warehouse=warehouse, transport=request.transport)
            _load_steps(pipeline, destination, ctx, request, (rows, markers), progress,
                        lambda: keep_history(pipeline, journal, run))
        except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - every failure: one line, an exit code
            error = after_failure(destination, exc, explain(exc), request.full_refresh and bound is not None)
            if request.full_refresh and journal is not None and not load_began(exc):
                journal.discard(history_key(run))  # the refresh was abandoned: the history was never dropped
            counts = RunCounts(report.requests, sum(rows.values()), sum(markers.values()), len(report.gaps),
                               report.client_stats, report.task_discovery)
            if journal is not None:
                record_stop(destination, journal, run_row(run, decide(error=error), run.seconds(), counts), error)
                error.recorded = True
            raise error from exc
        result = SyncResult(started_at=run.started_at.isoformat(), seconds=run.seconds(), requests=report.requests,
                            rows=dict(sorted(rows.items())), gaps=list(report.gaps),
                            outcome=decide(report.gaps, accept_gaps=request.accept_gaps),
                            client_stats=report.client_stats, unavailable=dict(report.unavailable),
                            task_discovery=report.task_discovery, markers=dict(sorted(markers.items())),
                            run_id=run.run_id)
        counts = RunCounts(result.requests, result.total_rows, result.total_markers, len(result.gaps),
                           result.client_stats, result.task_discovery)
        record_run(pipeline, destination, journal, run_row(run, result.outcome, result.seconds, counts), result.gaps)
        return result
    finally:
        if ctx is not None:
            ctx.client.close()


def _load_steps(pipeline: Any, destination: Destination, ctx: SyncContext, request: RunRequest,
                tallies: tuple[dict, dict], progress: Progress, keep: Callable[[], None]) -> None:
    selected = selected_resources(asana_source(context=ctx), request.resources)
    if request.full_refresh:
        # One step: the old tables are dropped in the same load that writes the new ones; the run
        # history is kept aside first and written back with this run's row.
        keep()
        run_step(pipeline, destination, asana_source(context=ctx).with_resources(*selected), "", tallies, progress,
                 ctx.report, refresh=True)
        return
    for label, step in checkpoint_steps(ctx, selected, checkpoint_seconds(request.checkpoint_seconds)):
        run_step(pipeline, destination, step, label, tallies, progress, ctx.report)


def notes(on_progress: Optional[Progress]) -> Callable[[str], None]:
    """State notes (restored, started fresh, ...) go to the progress callback as phase ``note``."""
    def say(message: str) -> None:
        if on_progress:
            on_progress("note", {"message": message})
        else:
            logging.getLogger("asana_sync").warning(message)

    return say
