"""``--log-format json`` (or ``ASANA_SYNC_LOG_FORMAT=json``): one JSON object per line on stderr, for
log shippers, instead of the progress line and the result tables.

Events (every one has ``ts``, UTC ISO 8601, ``event`` and ``command``):

- ``phase``: a run enters a phase (``extract (tasks of 4/50 projects)``, ``normalize``, ``load``,
  ``models``), with the client's counters so far;
- ``progress``: every ``ASANA_SYNC_PROGRESS_SECONDS`` (default 15) while a phase lasts, the same
  counters: ``elapsed_seconds``, ``requests``, ``requests_per_second``, ``retries``, ``throttled``
  (429s), ``concurrency`` (the most requests allowed in flight now), ``in_flight``, ``latency_ms``
  (Asana's average answer time), ``rate_share`` (requests of the last 30 s against the rate limit),
  ``waited_seconds``;
- ``note``: what happened to the local working state (restored, started fresh, ...);
- ``finished``: the run's result (outcome, exit code and reason; requests; rows written, of which
  ``markers`` only cleared a parent's old rows, and ``rows_stored``; per table; models; gaps), also
  with ``--quiet``;
- ``warning``: a listing not available to the token, a gap;
- ``error``: the failure's ``exit_code`` and one-line ``message`` (the ``error:`` line is printed too).

Once a run has started, every event carries its ``run_id``, ``partition`` (null for a run of
everything) and ``destination`` (the DuckDB file, or PostgreSQL ``user@host:port/database``).

Nothing secret goes in: the counters, phase names and the messages the text output shows (which
never hold the token or a password).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any, Optional

import click

from .ticker import Ticker

FORMAT_ENV = "ASANA_SYNC_LOG_FORMAT"
PROGRESS_ENV = "ASANA_SYNC_PROGRESS_SECONDS"
FORMATS = ("text", "json")

def json_enabled() -> bool:
    """Whether this command logs JSON: ``--log-format`` (the CLI keeps it in the click context of
    the invocation), else ``ASANA_SYNC_LOG_FORMAT``."""
    context = click.get_current_context(silent=True)
    settings = context.find_root().obj if context is not None else None
    chosen = settings.get("log_format") if isinstance(settings, dict) else None
    value = chosen or os.environ.get(FORMAT_ENV) or "text"
    return value.strip().lower() == "json"


_write_lock = threading.Lock()


def remember_run(fields: dict) -> None:
    """The run this invocation is (``{"run_id", "partition", "destination"}``): every event from
    now on carries it, the ``finished`` and ``error`` events included."""
    context = click.get_current_context(silent=True)
    if context is not None and isinstance(context.find_root().obj, dict):
        context.find_root().obj["run"] = dict(fields)


def _run_fields() -> dict:
    context = click.get_current_context(silent=True)
    settings = context.find_root().obj if context is not None else None
    return dict(settings.get("run") or {}) if isinstance(settings, dict) else {}


def emit(event: str, command: str = "run", **fields: Any) -> None:
    """Write one event as a line of JSON on stderr (never wrapped, flushed at once)."""
    record = {"ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
              "event": event, "command": command, **_run_fields(), **fields}
    line = json.dumps(record, default=str, separators=(",", ":"))
    with _write_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def counters(report: Any, started: float) -> dict:
    elapsed = time.monotonic() - started
    stats = dict(getattr(report, "client_stats", None) or {}) if report is not None else {}
    # The same keys in every event (zeros before the first request), so a log shipper sees one schema.
    return {
        "elapsed_seconds": round(elapsed, 1),
        "requests": stats.get("requests", 0),
        "requests_per_second": round(stats.get("requests", 0) / max(elapsed, 1e-9), 1),
        "retries": stats.get("retries", 0),
        "throttled": stats.get("throttled", 0),
        "concurrency": stats.get("concurrency"),
        "in_flight": stats.get("in_flight", 0),
        "latency_ms": stats.get("latency_ms"),
        "rate_share": stats.get("recent_rate_share", 0.0),
        "waited_seconds": stats.get("waited_seconds", 0.0),
    }


class JsonProgress:
    """The text ``Progress`` as JSON events: one per phase, one per tick, one per note. ``quiet``
    keeps the notes only (and the ``finished``/``error`` events the CLI emits)."""

    def __init__(self, quiet: bool = False, command: str = "run") -> None:
        self.quiet = quiet
        self.command = command
        self.phase = "starting"
        self.report: Any = None
        self.started = time.monotonic()
        self.every = float(os.environ.get(PROGRESS_ENV) or 15)
        self.run: dict = {}
        self._ticker: Optional[Ticker] = None

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "run":
            # Kept here too: the ticks come from a timer thread, where click's context is not.
            self.run = dict(info)
            remember_run(info)
            return
        if phase == "note":
            emit("note", self.command, **self.run, message=info["message"])
            return
        self.phase = phase
        self.report = info.get("report", self.report)
        if not self.quiet:
            emit("phase", self.command, **self.run, phase=phase, **counters(self.report, self.started))

    def tick(self, force: bool = False) -> None:
        if not self.quiet:
            emit("progress", self.command, **self.run, phase=self.phase, **counters(self.report, self.started))

    def __enter__(self) -> "JsonProgress":
        if not self.quiet:
            self._ticker = Ticker(self.every, self.tick).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._ticker is not None:
            self._ticker.stop()


def emit_result(result: Any, destination: Any, command: str = "run") -> None:
    """The ``finished`` event of a run, and a ``warning`` per unavailable listing or gap."""
    stats = result.client_stats or {}
    emit("finished", command, destination=destination.describe(), seconds=round(result.seconds, 1),
         outcome=result.outcome.name, exit_code=result.outcome.exit_code, reason=result.outcome.reason,
         requests=result.requests, rows=result.total_rows, rows_stored=result.total_rows - result.total_markers,
         markers=result.total_markers, retries=stats.get("retries", 0),
         throttled=stats.get("throttled", 0), waited_seconds=stats.get("waited_seconds", 0),
         concurrency=stats.get("concurrency"), lowest_concurrency=stats.get("lowest_concurrency"),
         concurrency_cap=stats.get("concurrency_cap"), latency_ms=stats.get("latency_ms"),
         rate_share=stats.get("rate_share"),
         gaps=len(result.gaps), models=len(result.models), rows_per_table=result.rows,
         markers_per_table=result.markers)
    for path, reason in sorted(result.unavailable.items()):
        emit("warning", command, message=f"{path} is not available to this token ({reason}); skipped")
    for gap in result.gaps:
        emit("warning", command, kind=gap.get("kind"), endpoint=gap.get("endpoint"),
             parameters=gap.get("parameters"), message=gap.get("reason"))
