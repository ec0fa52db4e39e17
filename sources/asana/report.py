"""What a run learns besides its rows: gaps, listings the token cannot read, and client statistics.

The pipeline creates a ``RunReport``, hands it to the source with the warehouse view, and reads it
back after the run, whether the run succeeded or not.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from .errors import AsanaError
from .helpers import format_ts

# Kinds of gap: Asana truncated a listing that cannot be split further, or a request failed after
# its retries (5xx storm, 403/404 on one object, a malformed page). Both are re-read next run.
TRUNCATED = "truncated"
FAILED = "failed"


@dataclass
class RunReport:
    """Gaps and notes of one run, shared by every thread of it.

    ``gaps`` become rows of ``sync_gaps``: ``{"run_started_at": "...", "kind": "failed",
    "endpoint": "/projects/{gid}/tasks", "parameters": "{\\"project\\": \\"12\\"}", "reason":
    "HTTP 503: ..."}``. ``incomplete`` names what this run could not read completely (``tasks``,
    ``projects``): deletions are not inferred from an incomplete listing.
    """

    run_started_at: str = field(default_factory=lambda: format_ts(datetime.now(timezone.utc)))
    gaps: list[dict] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    incomplete: set[str] = field(default_factory=set)
    # How this run found changed tasks: reconcile, search, projects or search+projects (None when
    # tasks were not synced).
    task_discovery: Optional[str] = None
    client: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_gap(self, endpoint: str, parameters: dict, reason: str, kind: str = TRUNCATED,
                   affects: tuple[str, ...] = ()) -> None:
        with self._lock:
            self.gaps.append({"run_started_at": self.run_started_at, "kind": kind, "endpoint": endpoint,
                              "parameters": json.dumps(without_fields(parameters), sort_keys=True),
                              "reason": reason})
            self.incomplete.update(affects)

    def record_failure(self, endpoint: str, parameters: dict, error: AsanaError,
                       affects: tuple[str, ...] = ()) -> None:
        """A request that failed after its retries: the gap is recorded and the run goes on."""
        self.record_gap(endpoint, parameters, str(error), FAILED, affects)

    def note_unavailable(self, path: str, error: AsanaError) -> None:
        with self._lock:
            self.unavailable.setdefault(path_kind(path), f"HTTP {error.status}: {error.message}")

    @property
    def failures(self) -> list[dict]:
        return [g for g in self.gaps if g["kind"] == FAILED]

    @property
    def client_stats(self) -> dict:
        return self.client.stats.as_dict() if self.client is not None else {}

    @property
    def requests(self) -> int:
        return self.client.stats.requests if self.client is not None else 0

    def summary(self) -> Optional[str]:
        """One line for the end of a run with gaps, or None."""
        if not self.gaps:
            return None
        failed, truncated = len(self.failures), len(self.gaps) - len(self.failures)
        parts = [f"{failed} request(s) failed after retries"] if failed else []
        parts += [f"{truncated} listing(s) truncated by Asana"] if truncated else []
        return f"{' and '.join(parts)} (see table sync_gaps); everything else was loaded and the next run " \
               "reads those parts again"


def path_kind(path: str) -> str:
    """``/projects/123/project_statuses`` -> ``/projects/{gid}/project_statuses`` (one note per kind)."""
    return "/".join("{gid}" if part.isdigit() else part for part in path.split("/"))


def without_fields(params: dict) -> dict:
    """Listing parameters as recorded in sync_gaps: what was asked for, not which fields."""
    return {k: v for k, v in params.items() if k != "opt_fields"}
