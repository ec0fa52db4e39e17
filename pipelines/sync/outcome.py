"""How a run ended, in one place: its outcome, the exit code it gives and one line saying why.

``decide`` is the only function that turns a run's end into an exit code: the CLI exits with it,
the run's record in ``sync_runs`` keeps it, and ``status`` reads it back (``recorded``). Outcomes:

- ``ok``: everything was read and loaded (exit 0);
- ``gaps``: Asana truncated a listing that could not be split (exit 6; 0 with ``--accept-gaps``);
- ``failures``: some requests failed after their retries, everything else was loaded (exit 5);
- ``failed``: the run stopped (the error's own code: 2 configuration, 3 token, 4 locked,
  7 destination, 9 Asana unreachable, 130 interrupted, 1 a bug);
- ``killed``: the run died without ending (SIGKILL, a power cut, the OOM killer); found by the
  next run or ``status`` (137, the shell's code for SIGKILL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from sources.asana.report import FAILED

from ..errors import EXIT_API, EXIT_ERROR, EXIT_GAPS, EXIT_KILLED, EXIT_OK, SyncError

OK, GAPS, FAILURES, STOPPED, KILLED = "ok", "gaps", "failures", "failed", "killed"
# Outcomes of runs that read and loaded everything they could (a last success, for --max-age).
COMPLETED = (OK, GAPS, FAILURES)
KILLED_REASON = ("the run was killed (SIGKILL, a power cut or out of memory) and recorded no end; the next run goes "
                 "on from its last loaded step")
_STOPPED_STATUS = re.compile(r"^failed \(exit (\d+)\)")


@dataclass(frozen=True)
class Outcome:
    """``{"outcome": "failures", "exit_code": 5, "reason": "2 request(s) failed after retries, ..."}``"""

    name: str
    exit_code: int
    reason: str

    @property
    def status(self) -> str:
        """The text of ``sync_runs.status``: the outcome, and for a stopped run its code and reason."""
        return f"failed (exit {self.exit_code}): {self.reason}"[:500] if self.name == STOPPED else self.name

    def as_dict(self) -> dict:
        return {"outcome": self.name, "exit_code": self.exit_code, "reason": self.reason}


def decide(gaps: Sequence[dict] = (), error: Optional[SyncError] = None, accept_gaps: bool = False) -> Outcome:
    """The outcome of a run that stopped with ``error``, or that finished with these ``gaps``."""
    if error is not None:
        return Outcome(STOPPED, error.exit_code, str(error))
    failed = [g for g in gaps if g.get("kind") == FAILED]
    if failed:
        first = failed[0]
        return Outcome(FAILURES, EXIT_API,
                       f"{len(failed)} request(s) failed after retries, e.g. {first['endpoint']} {first['parameters']}: "
                       f"{first['reason']}; everything else was loaded (see table sync_gaps) and the next run reads "
                       "those parts again")
    if gaps:
        return Outcome(GAPS, EXIT_OK if accept_gaps else EXIT_GAPS,
                       f"{len(gaps)} listing(s) could not be read completely (see table sync_gaps)" +
                       ("; accepted (--accept-gaps)" if accept_gaps else
                        "; rerun with --accept-gaps to treat this as success"))
    return Outcome(OK, EXIT_OK, "everything was read and loaded")


def killed() -> Outcome:
    return Outcome(KILLED, EXIT_KILLED, KILLED_REASON)


def recorded(row: dict[str, Any]) -> Outcome:
    """The outcome a ``sync_runs`` row records (rows written before ``outcome`` and ``exit_code``
    were columns say it in ``status``)."""
    if row.get("outcome") and row.get("exit_code") is not None:
        return Outcome(str(row["outcome"]), int(row["exit_code"]), str(row.get("reason") or row.get("status") or ""))
    status = str(row.get("status") or "")
    match = _STOPPED_STATUS.match(status)
    if match:
        return Outcome(STOPPED, int(match.group(1)), status)
    codes = {OK: EXIT_OK, FAILURES: EXIT_API, GAPS: EXIT_GAPS}
    return Outcome(status or "unknown", codes.get(status, EXIT_ERROR), status)
