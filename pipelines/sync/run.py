"""One sync, as a library call: ``run_sync`` takes the run lock, binds the local state to the
warehouse, builds the run's ``SyncContext`` from options resolved once, loads it in checkpoint
steps and records the run, whatever its end. The CLI (``pipelines/commands/cli.py``) is a thin
shell over it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional, Sequence

from sources.asana import RunReport, SyncContext, asana_source

from ..errors import EXIT_CONFIG, SyncError, explain
from ..warehouse.binding import after_failure, bind_state
from ..warehouse.destination import Destination
from ..warehouse.locks import RunLock, duckdb_writer
from ..warehouse.preflight import check_destination
from ..warehouse.runtime import make_pipeline
from ..warehouse.view import WarehouseView
from .configuration import resolve_options
from .outcome import Outcome, decide
from .record import record_failure, record_run
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

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


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

    ``source_options`` override the configured ``SourceOptions`` (``{"requests_per_minute": 150}``);
    ``accept_gaps`` makes truncated listings an exit-0 outcome."""
    request = RunRequest(tuple(workspaces or ()), tuple(resources or ()), full_refresh, accept_gaps, transport,
                         checkpoint_seconds)
    overrides = dict(source_options or {})
    if destination.partition is not None:
        if full_refresh:
            raise SyncError(f"partition {destination.partition.name} cannot --full-refresh: it would drop the tables "
                            "every partition shares; run a full refresh without partitions", EXIT_CONFIG)
        if workspaces:
            raise SyncError("a partition sets its own scope: drop --workspace", EXIT_CONFIG)
        overrides = destination.partition.source_options(overrides)
    if request.workspaces:
        overrides["workspaces"] = list(request.workspaces)
    options = resolve_options(overrides)
    say = notes(on_progress)
    with run_lock(destination), duckdb_writer(destination, say):
        return _run(destination, options, request, on_progress or (lambda phase, info: None), say)


def _run(destination: Destination, options: Any, request: RunRequest, progress: Progress,
         say: Callable[[str], None]) -> SyncResult:
    started = time.monotonic()
    started_at = datetime.now(timezone.utc)
    report = RunReport()
    rows: dict[str, int] = {}
    bound = None
    ctx: Optional[SyncContext] = None
    try:
        try:
            check_destination(destination)
            bound = bind_state(destination, say=say)
            pipeline = make_pipeline(destination)
            warehouse = None if request.full_refresh else WarehouseView(pipeline)
            ctx = SyncContext.connect(options, report=report, warehouse=warehouse, transport=request.transport)
            _load_steps(pipeline, destination, ctx, request, rows, progress)
        except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - every failure: one line, an exit code
            error = after_failure(destination, exc, explain(exc), request.full_refresh and bound is not None)
            record_failure(destination, started_at, time.monotonic() - started, error, report)
            raise error from exc
        result = SyncResult(started_at=started_at.isoformat(), seconds=time.monotonic() - started,
                            requests=report.requests, rows=dict(sorted(rows.items())), gaps=list(report.gaps),
                            outcome=decide(report.gaps, accept_gaps=request.accept_gaps),
                            client_stats=report.client_stats, unavailable=dict(report.unavailable),
                            task_discovery=report.task_discovery)
        record_run(pipeline, destination, result)
        return result
    finally:
        if ctx is not None:
            ctx.client.close()


def _load_steps(pipeline: Any, destination: Destination, ctx: SyncContext, request: RunRequest, rows: dict,
                progress: Progress) -> None:
    selected = selected_resources(asana_source(context=ctx), request.resources)
    if request.full_refresh:
        # One step: the old tables are dropped in the same load that writes the new ones.
        run_step(pipeline, destination, asana_source(context=ctx).with_resources(*selected), "", rows, progress,
                 ctx.report, refresh=True)
        return
    for label, step in checkpoint_steps(ctx, selected, checkpoint_seconds(request.checkpoint_seconds)):
        run_step(pipeline, destination, step, label, rows, progress, ctx.report)


def notes(on_progress: Optional[Progress]) -> Callable[[str], None]:
    """State notes (restored, started fresh, ...) go to the progress callback as phase ``note``."""
    def say(message: str) -> None:
        if on_progress:
            on_progress("note", {"message": message})
        else:
            logging.getLogger("asana_sync").warning(message)

    return say
