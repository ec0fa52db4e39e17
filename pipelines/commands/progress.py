"""What a run shows while it goes and when it ends: a live status line on a terminal (rich's
``Live``), plain lines every 15 seconds otherwise (cron, CI), or JSON events (``jsonlog``); then the
result."""

from __future__ import annotations

import time
from typing import Any, Optional

from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..sync.run import SyncResult
from ..warehouse.destination import Destination
from .console import err, note, out
from .jsonlog import JsonProgress, emit_result, json_enabled, remember_run
from .ticker import Ticker


def progress_for(quiet: bool) -> Any:
    """The progress display of this command: JSON events or the text one."""
    return JsonProgress(quiet) if json_enabled() else Progress(quiet)


class Progress:
    """Where a run stands: a live status line on a terminal (rich's ``Live``), plain log lines every
    15 seconds otherwise (cron, CI). Shows requests, the share of the rate limit used over the last
    30 s, Asana's latency, requests in flight against the limit the client keeps, 429s and the time
    spent waiting on them."""

    LOG_EVERY = 15.0

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.interactive = err.is_terminal and not quiet
        self.phase = "starting"
        self.report: Any = None
        self.started = time.monotonic()
        self._live: Optional[Live] = None
        self._ticker: Optional[Ticker] = None
        self._last_log = time.monotonic()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        stats = self.report.client_stats if self.report is not None else {}
        if not stats:
            return f"{self.phase} ({elapsed:.0f}s)"
        latency = f"{stats['latency_ms']} ms" if stats.get("latency_ms") is not None else "-"
        return (f"{self.phase}: {stats['requests']} requests ({stats['requests'] / max(elapsed, 1e-9):.0f}/s, "
                f"{stats['recent_rate_share']:.0%} of the rate limit), latency {latency}, "
                f"{stats['in_flight']}/{stats['concurrency']} in flight, {stats['retries']} retries, "
                f"{stats['throttled']} throttled (429), waited {stats['waited_seconds']:.0f}s, {elapsed:.0f}s")

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "run":  # who this run is: kept for the error line and the result
            remember_run(info)
            return
        if phase == "note":  # what happened to the local state; shown even with --quiet
            if self._live is not None:
                self._live.console.print(f"note: {escape(info['message'])}", highlight=False, soft_wrap=True)
            else:
                note(info["message"])
            return
        self.phase = phase
        self.report = info.get("report", self.report)
        self.tick(force=True)

    def tick(self, force: bool = False) -> None:
        if self._live is not None:
            self._live.update(Text(self.line()))
        elif not self.quiet and (force or time.monotonic() - self._last_log >= self.LOG_EVERY):
            self._last_log = time.monotonic()
            err.print(f"asana-sync: {self.line()}", highlight=False)

    def __enter__(self) -> "Progress":
        if self.interactive:
            self._live = Live(console=err, refresh_per_second=4, transient=True,
                              get_renderable=lambda: Text(self.line()))
            self._live.start()
        elif not self.quiet:
            self._ticker = Ticker(self.LOG_EVERY, self.tick).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.stop()
        if self._ticker is not None:
            self._ticker.stop()


def print_result(result: SyncResult, destination: Destination) -> None:
    if json_enabled():
        emit_result(result, destination)
        return
    rps = result.requests / max(result.seconds, 1e-9)
    rows_ps = result.total_rows / max(result.seconds, 1e-9)
    stats = result.client_stats
    stored = result.total_rows - result.total_markers
    out.print(f"synced into {destination.describe()} in {result.seconds:.1f}s: {result.requests} requests "
              f"({rps:.0f}/s), {stored} rows stored ({result.total_rows} written, {rows_ps:.0f}/s), "
              f"{stats.get('retries', 0)} retries, {stats.get('throttled', 0)} throttled (429) with "
              f"{stats.get('waited_seconds', 0):.0f}s waited, latency {stats.get('latency_ms', '-')} ms, concurrency "
              f"{stats.get('concurrency', '-')}{_cap(stats)}, {stats.get('rate_share', 0):.0%} of the rate limit "
              "while requesting", highlight=False)
    if result.models:
        seconds = sum(m.seconds for m in result.models)
        out.print(f"built {len(result.models)} models in schema asana_analytics in {seconds:.1f}s", highlight=False)
    table = Table("table", "rows stored", "rows written", title="rows this run",
                  caption="a table replaced per task or parent also writes one marker per parent it re-read, "
                          "which clears the parent's old rows and is not stored")
    for name, count in result.rows.items():
        table.add_row(name, str(count - result.markers.get(name, 0)), str(count))
    out.print(table)
    for path, reason in sorted(result.unavailable.items()):
        err.print(escape(f"note: {path} is not available to this token ({reason}); skipped"), highlight=False)
    for gap in result.gaps:
        err.print("[yellow]warning:[/yellow] " + escape(f"could not read {gap['endpoint']} {gap['parameters']}: "
                                                       f"{gap['reason']}"), highlight=False)


def _cap(stats: dict) -> str:
    """What the client learned of a concurrency cap, if Asana showed one."""
    if stats.get("lowest_concurrency") is None:
        return ""
    return f" (Asana capped it at {stats['lowest_concurrency']})"
