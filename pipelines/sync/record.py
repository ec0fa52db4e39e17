"""What every run leaves behind, whatever its end: a row in ``sync_runs`` (its id, outcome, exit
code and reason, times, requests, rows, 429s, latency, concurrency, share of the rate limit) and one
row per gap in ``sync_gaps``, both naming the partition (``sync_partition``, NULL for a run of
everything).

A run that ends where the warehouse cannot be written (the warehouse was the problem, another run
holds it, Ctrl-C) or that is killed leaves its row in the local journal (``warehouse.journal``);
the next run that writes the warehouse copies it there first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import dlt

from sources.asana.settings import columns

from ..errors import EXIT_DESTINATION, EXIT_INTERRUPTED, EXIT_LOCKED, SyncError
from ..warehouse.binding import warehouse_exists
from ..warehouse.destination import Destination
from ..warehouse.journal import Journal
from ..warehouse.locks import load_lock
from ..warehouse.runtime import make_pipeline
from ..warehouse.view import is_missing_relation
from .outcome import Outcome, decide, killed

HISTORY_TABLES = ("sync_runs", "sync_gaps")
# Errors after which the run stops at once and leaves its row to the next run: the warehouse failed,
# another run holds it, or Ctrl-C asked to stop now.
LEAVE_TO_NEXT_RUN = (EXIT_DESTINATION, EXIT_LOCKED, EXIT_INTERRUPTED)


@dataclass(frozen=True)
class RunInfo:
    """Who a run is, for its record and every log event: ``{"run_id": "5f0c2a9e41d3", "partition":
    "team:1204", "destination": "/srv/asana.duckdb"}``."""

    run_id: str
    started_at: datetime
    partition: Optional[str]
    destination: str

    @classmethod
    def start(cls, destination: Destination) -> "RunInfo":
        return cls(uuid.uuid4().hex[:12], datetime.now(timezone.utc),
                   destination.partition.name if destination.partition is not None else None, destination.describe())

    def fields(self) -> dict:
        return {"run_id": self.run_id, "partition": self.partition, "destination": self.destination}

    def seconds(self) -> float:
        return (datetime.now(timezone.utc) - self.started_at).total_seconds()


@dataclass
class RunCounts:
    """What a run did, as far as it got."""

    requests: int = 0
    rows: int = 0
    markers: int = 0
    gaps: int = 0
    stats: dict = field(default_factory=dict)
    task_discovery: Optional[str] = None


def run_row(run: RunInfo, outcome: Outcome, seconds: Optional[float], counts: RunCounts) -> dict:
    """One ``sync_runs`` row."""
    stats = counts.stats
    ended = run.started_at + timedelta(seconds=seconds) if seconds is not None else None
    return {
        "run_id": run.run_id,
        "started_at": run.started_at.isoformat(),
        "ended_at": ended.isoformat() if ended else None,
        "seconds": round(seconds, 3) if seconds is not None else None,
        "outcome": outcome.name,
        "exit_code": outcome.exit_code,
        "reason": outcome.reason[:500],
        "status": outcome.status,
        "requests": counts.requests,
        "rows": counts.rows,
        "markers": counts.markers,
        "gaps": counts.gaps,
        "throttled": stats.get("throttled", 0),
        "concurrency": stats.get("concurrency"),
        "lowest_concurrency": stats.get("lowest_concurrency"),
        "waited_seconds": stats.get("waited_seconds", 0.0),
        "task_discovery": counts.task_discovery,
        "sync_partition": run.partition,
        # How fast Asana answered, the cap it showed (if any) and the share of the rate limit used
        # while there were requests to make.
        "latency_ms": stats.get("latency_ms"),
        "concurrency_cap": stats.get("concurrency_cap"),
        "rate_share": stats.get("rate_share"),
    }


def killed_row(marker: dict) -> dict:
    """The row of a run the journal shows started and never ended."""
    started = datetime.fromisoformat(str(marker["started_at"]))
    run = RunInfo(marker["run_id"], started, marker.get("sync_partition"), marker.get("destination") or "")
    return run_row(run, killed(), None, RunCounts())


def record_run(pipeline: dlt.Pipeline, destination: Destination, journal: Optional[Journal], row: dict,
               gaps: list[dict]) -> None:
    """A finished run's row and gaps, after the rows the journal kept for the warehouse (oldest first)."""
    taken = journal.claim(row["run_id"]) if journal is not None else []
    tables = _by_table([record for _, record in taken] + [
        {"sync_gaps": [{**gap, "sync_partition": row["sync_partition"]} for gap in gaps], "sync_runs": [row]}])
    try:
        _append(pipeline, destination, tables)
    except BaseException:
        if journal is not None:
            journal.release(taken)
        raise
    if journal is not None:
        journal.delivered(taken)


def record_stop(destination: Destination, journal: Journal, row: dict, error: SyncError) -> None:
    """A run that stopped: its row goes to the journal at once (instant, whatever failed), and on to
    the warehouse now when that can be done without delay; else the next run takes it there."""
    journal.post(row)
    if error.exit_code in LEAVE_TO_NEXT_RUN or not warehouse_exists(destination):
        return  # a first run that failed (say, a wrong token) should not leave a warehouse behind
    try:
        pipeline = make_pipeline(destination)
        if pipeline.has_pending_data:
            return  # dlt would load the package it holds first: that is the next run's job
        taken = journal.claim(row["run_id"])
        try:
            _append(pipeline, destination, _by_table([record for _, record in taken]))
        except Exception:  # noqa: BLE001 - kept in the journal: the original error is what matters now
            journal.release(taken)
            return
        journal.delivered(taken)
    except Exception:  # noqa: BLE001
        return


def keep_history(pipeline: dlt.Pipeline, journal: Optional[Journal], run: RunInfo) -> None:
    """Before a full refresh drops the raw tables: the run history goes to the journal, and from
    there back into the warehouse with this run's own row."""
    if journal is None:
        return
    history: dict[str, list[dict]] = {}
    with pipeline.sql_client() as client:
        for table in HISTORY_TABLES:
            try:
                with client.execute_query(f"select * from {client.make_qualified_table_name(table)}") as cursor:
                    names = [d[0] for d in cursor.description]
                    history[table] = [{k: v for k, v in zip(names, r) if not k.startswith("_dlt")}
                                      for r in cursor.fetchall()]
            except Exception as error:  # noqa: BLE001 - no history yet: nothing to keep
                if not is_missing_relation(error):
                    raise
    if any(history.values()):
        journal.keep(history_key(run), "0", history)


def history_key(run: RunInfo) -> str:
    return f"history-{run.run_id}"


def _by_table(records: list[dict]) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {}
    for record in records:
        for table, rows in record.items():
            tables.setdefault(table, []).extend(rows)
    return tables


def _append(pipeline: dlt.Pipeline, destination: Destination, tables: dict[str, list[dict]]) -> None:
    with load_lock(destination):
        for table in HISTORY_TABLES[::-1]:  # the gaps first: a run's row says it is complete
            if tables.get(table):
                pipeline.run(tables[table], table_name=table, write_disposition="append",
                             loader_file_format=destination.file_format, columns=columns(table))
