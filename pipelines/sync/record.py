"""What every run leaves in the warehouse: a row in ``sync_runs`` (its outcome, exit code, requests,
rows, 429s, latency, concurrency, share of the rate limit) and one row per gap in ``sync_gaps``,
both naming the partition (``sync_partition``, NULL for a run of everything)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import dlt

from sources.asana.settings import columns

from ..errors import EXIT_DESTINATION, EXIT_INTERRUPTED, EXIT_LOCKED, SyncError
from ..warehouse.binding import warehouse_exists
from ..warehouse.destination import Destination
from ..warehouse.locks import load_lock
from ..warehouse.runtime import make_pipeline
from .outcome import Outcome, decide


def record_run(pipeline: dlt.Pipeline, destination: Destination, result: Any) -> None:
    """The finished run's row in ``sync_runs`` and its gaps in ``sync_gaps``."""
    partition = destination.partition.name if destination.partition is not None else None
    with load_lock(destination):
        if result.gaps:
            pipeline.run([{**gap, "sync_partition": partition} for gap in result.gaps], table_name="sync_gaps",
                         write_disposition="append", loader_file_format=destination.file_format,
                         columns=columns("sync_gaps"))
        pipeline.run([run_row(result.started_at, result.seconds, result.outcome, result.requests, result.total_rows,
                              len(result.gaps), result.client_stats, result.task_discovery, partition)],
                     table_name="sync_runs", write_disposition="append", loader_file_format=destination.file_format,
                     columns=columns("sync_runs"))


def run_row(started_at: str, seconds: float, outcome: Outcome, requests: int, rows: int, gaps: int, stats: dict,
            task_discovery: Optional[str], partition: Optional[str]) -> dict:
    return {
        "started_at": started_at,
        "seconds": round(seconds, 3),
        "requests": requests,
        "rows": rows,
        "gaps": gaps,
        "status": outcome.status,
        "throttled": stats.get("throttled", 0),
        "concurrency": stats.get("concurrency"),
        "lowest_concurrency": stats.get("lowest_concurrency"),
        "waited_seconds": stats.get("waited_seconds", 0.0),
        "task_discovery": task_discovery,
        "sync_partition": partition,
        # How fast Asana answered, the cap it showed (if any) and the share of the rate limit used
        # while there were requests to make.
        "latency_ms": stats.get("latency_ms"),
        "concurrency_cap": stats.get("concurrency_cap"),
        "rate_share": stats.get("rate_share"),
    }


def record_failure(destination: Destination, started_at: datetime, seconds: float, error: SyncError,
                   report: Any = None) -> None:
    """Best effort: a failed run shows in ``status`` too, unless the warehouse is what failed, there
    is no warehouse yet, the run was interrupted (stop now), or dlt holds a package it will retry
    (recording would load that first)."""
    if error.exit_code in (EXIT_DESTINATION, EXIT_LOCKED, EXIT_INTERRUPTED):
        return
    if not warehouse_exists(destination):
        return  # a first run that failed (say, a wrong token) should not leave a warehouse behind
    partition = destination.partition.name if destination.partition is not None else None
    stats = report.client_stats if report is not None else {}
    try:
        pipeline = make_pipeline(destination)
        if pipeline.has_pending_data:
            return
        with load_lock(destination):
            pipeline.run([run_row(started_at.isoformat(), seconds, decide(error=error), stats.get("requests", 0), 0, 0,
                                  stats, None, partition)],
                         table_name="sync_runs", write_disposition="append",
                         loader_file_format=destination.file_format, columns=columns("sync_runs"))
    except Exception:  # noqa: BLE001 - the original error is what the user needs to see
        return
