"""A warehouse's local run journal: the runs that started and have not ended, and the records of
runs the warehouse could not take yet. It lets every run be recorded whatever its end, and lets
``status`` see a run that died.

``$ASANA_SYNC_HOME/journal/<hash of the warehouse>/``, shared by every partition of the warehouse:

- ``started/<run id>.json``: written once a run holds its run lock, removed when it ends, however
  it ends. One left behind whose lock is free belongs to a run that was killed (SIGKILL, a power
  cut, the OOM killer): ``{"run_id": "5f0c2a...", "pid": 4242, "started_at": "2026-12-05T21:16:06+00:00",
  "sync_partition": null, "lock": "/home/me/.asana-sync/pipelines/1a2b3c/run.lock"}``;
- ``outbox/<time>-<run id>.json``: rows for the warehouse, per table (``{"sync_runs": [{...}]}``):
  the row of a run that ended where the warehouse could not be written (it was the problem, another
  run held it, Ctrl-C said stop now), or the run history a full refresh is about to drop. The next
  run that writes the warehouse copies them there and removes the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterator, Optional

from .identity import home
from .locks import is_held

STARTED = "started"
OUTBOX = "outbox"


class Journal:
    """The journal of ``destination``'s warehouse (any partition)."""

    def __init__(self, destination: Any) -> None:
        digest = hashlib.sha1(destination.warehouse_identity().encode()).hexdigest()[:12]
        self.folder = home() / "journal" / digest

    # --- runs in progress -------------------------------------------------------------------------

    def begin(self, run: dict, lock_path: Path) -> None:
        """``run`` (``run_id``, ``started_at``, ``sync_partition``) holds ``lock_path`` from now on."""
        _write(self.folder / STARTED / f"{run['run_id']}.json", {**run, "pid": os.getpid(), "lock": str(lock_path)})

    def end(self, run_id: str) -> None:
        (self.folder / STARTED / f"{run_id}.json").unlink(missing_ok=True)

    def started(self) -> list[dict]:
        return [record for _, record in _records(self.folder / STARTED)]

    def abandoned(self, held: Optional[Path] = None, own_run: Optional[str] = None) -> list[dict]:
        """Runs that started and never ended: their lock is free, or is ``held`` by this process now
        (which took it after them)."""
        found = []
        for record in self.started():
            if record.get("run_id") == own_run:
                continue
            lock = Path(record.get("lock") or "")
            if (held is not None and lock == held) or not is_held(lock):
                found.append(record)
        return found

    def forget(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            self.end(run_id)

    # --- records the warehouse has not taken yet --------------------------------------------------

    def post(self, row: dict) -> None:
        """Keep a ``sync_runs`` row until a run can write it to the warehouse."""
        self.keep(row["run_id"], str(row.get("ended_at") or row.get("started_at") or ""), {"sync_runs": [row]})

    def keep(self, run_id: str, when: str, tables: dict[str, list[dict]]) -> None:
        """Keep rows per table until a run can write them to the warehouse."""
        stamp = when.replace(":", "").replace("-", "")
        _write(self.folder / OUTBOX / f"{stamp}-{run_id}.json", tables)

    def discard(self, run_id: str) -> None:
        """Drop what ``keep`` kept for ``run_id`` (a full refresh abandoned before its load)."""
        for path in (self.folder / OUTBOX).glob(f"*-{run_id}.json"):
            path.unlink(missing_ok=True)

    def pending(self) -> list[dict]:
        """The ``sync_runs`` rows waiting, oldest first."""
        return [row for _, record in _records(self.folder / OUTBOX) for row in record.get("sync_runs", [])]

    def claim(self, run_id: str) -> list[tuple[Path, dict]]:
        """Take the waiting records (``{table: rows}``) for writing: moved aside (atomically: two runs
        never both take one). ``delivered`` or ``release`` them afterwards."""
        claimed = self.folder / f"{OUTBOX}-{run_id}"
        taken = []
        for path, record in _records(self.folder / OUTBOX):
            claimed.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(path, claimed / path.name)
            except OSError:
                continue  # another run took it first
            taken.append((claimed / path.name, record))
        return taken

    def delivered(self, taken: list[tuple[Path, dict]]) -> None:
        for path, _ in taken:
            path.unlink(missing_ok=True)
            _remove_empty(path.parent)

    def release(self, taken: list[tuple[Path, dict]]) -> None:
        for path, _ in taken:
            try:
                os.rename(path, self.folder / OUTBOX / path.name)
            except OSError:
                pass
            _remove_empty(path.parent)


def _write(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, default=str))
    tmp.replace(path)


def _records(folder: Path) -> Iterator[tuple[Path, dict]]:
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json")):
        try:
            yield path, json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # half written by a run killed that very moment, or removed meanwhile


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
