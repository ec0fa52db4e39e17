"""Local dlt working state, bound to the warehouse it belongs to.

dlt keeps a pipeline's working state (cursors, schemas, load packages not yet loaded) in a local
folder (``identity.working_dir``) and a copy of the state in the warehouse
(``_dlt_pipeline_state``). Before every run ``bind_state`` compares the two:

- same state: carry on (pending load packages of an earlier failed run are loaded first);
- the warehouse has no state (new, deleted or emptied): local state and pending packages are
  discarded, the run reads everything;
- the warehouse has other state (replaced, restored from a backup, moved, synced from another
  machine) or there is no local state: the state is restored from the warehouse, pending packages are
  discarded (they were extracted for another warehouse state).

Pending packages are trusted only while the warehouse still holds the state it held when they were
extracted: ``binding.json`` in the working folder records that state's hash at the start of every run.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.state_sync import load_pipeline_state_from_destination

from ..errors import EXIT_INTERRUPTED, SyncError, find_cause
from .destination import Destination
from .identity import ensure_working_dir
from .runtime import make_pipeline

BINDING_FILE = "binding.json"

Say = Callable[[str], None]


def warehouse_exists(destination: Destination) -> bool:
    """Whether the warehouse file exists (DuckDB); PostgreSQL databases are checked by preflight."""
    return destination.kind != "duckdb" or Path(destination.duckdb_path).exists()


def remote_state(pipeline: Any, destination: Destination) -> Optional[dict]:
    """The pipeline state stored in the warehouse (dlt's own reader), or None when it holds none.
    Never creates a DuckDB file."""
    if not warehouse_exists(destination):
        return None
    try:
        with pipeline.destination_client() as client:
            return load_pipeline_state_from_destination(pipeline.pipeline_name, client)
    except Exception as error:  # noqa: BLE001 - no dataset / no state table is what a new warehouse looks like
        if find_cause(error, DestinationUndefinedEntity) is not None:
            return None
        raise


def read_binding(folder: Path) -> dict:
    try:
        return json.loads((folder / BINDING_FILE).read_text())
    except (OSError, ValueError):
        return {}


def write_binding(folder: Path, destination: Destination, warehouse_hash: Optional[str]) -> None:
    data = {"identity": destination.identity(), "warehouse_state_hash": warehouse_hash,
            "bound_at": datetime.now(timezone.utc).isoformat()}
    tmp = folder / (BINDING_FILE + ".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(folder / BINDING_FILE)


def pending_packages(pipeline: Any) -> list[str]:
    return sorted(set(pipeline.list_extracted_load_packages()) | set(pipeline.list_normalized_load_packages()))


def _has_local_state(pipeline: Any) -> bool:
    """dlt writes an empty state when it creates a pipeline; state that was ever extracted has a version."""
    return bool(pipeline.schema_names) or int(pipeline.state.get("_state_version") or 0) > 0


def _wipe(pipeline: Any) -> None:
    shutil.rmtree(pipeline.working_dir, ignore_errors=True)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def prune_loaded_packages(pipeline: Any) -> None:
    """Loaded packages are history dlt no longer needs; keep the working folder bounded."""
    loaded = Path(pipeline.working_dir) / "load" / "loaded"
    if loaded.is_dir():
        for package in loaded.iterdir():
            shutil.rmtree(package, ignore_errors=True)


def bind_state(destination: Destination, say: Optional[Say] = None) -> dict:
    """Make the local working state agree with the warehouse before a run; returns what was done.

    Says one line when it had to act (restored, started fresh, discarded packages)."""
    say = say or (lambda message: None)
    folder = ensure_working_dir(destination)
    pipeline = make_pipeline(destination)
    prune_loaded_packages(pipeline)
    remote = remote_state(pipeline, destination)
    remote_hash = remote.get("_version_hash") if remote else None
    local = _has_local_state(pipeline)
    local_hash = pipeline.state.get("_version_hash") if local else None
    pending = pending_packages(pipeline)
    binding = read_binding(folder)
    where = destination.describe()
    discarded = f"; discarded {_plural(len(pending), 'load package')} extracted for it" if pending else ""
    action = "kept"
    if remote is None:
        if local or pending:
            _wipe(pipeline)
            say(f"{where} holds no sync state (new, deleted or emptied warehouse): local state of the earlier "
                f"warehouse discarded{discarded}; this run reads everything")
            action = "fresh"
    else:
        if pending:
            in_sync = binding.get("warehouse_state_hash") == remote_hash \
                and binding.get("identity") == destination.identity()
        else:
            in_sync = local and local_hash == remote_hash
        if not in_sync:
            if local or pending:
                reason = ("local state does not match the warehouse (replaced, restored from a backup or synced "
                          "from elsewhere)")
            else:
                reason = "no local state for this warehouse (first run here, moved warehouse or lost working folder)"
            _wipe(pipeline)
            pipeline = make_pipeline(destination)
            pipeline.sync_destination()
            say(f"state restored from {where}: {reason}{discarded}")
            action = "restored"
        elif pending:
            say(f"loading {_plural(len(pending), 'load package')} left by the previous run first")
            action = "pending"
    write_binding(folder, destination, remote_hash)
    return {"action": action, "remote_hash": remote_hash, "pending": pending}


def load_began(exc: BaseException) -> bool:
    """Whether the failure came from dlt's load step (a full refresh may have dropped tables then)."""
    step_failed = find_cause(exc, PipelineStepFailed)
    return getattr(step_failed, "step", None) == "load"


def after_failure(destination: Destination, exc: BaseException, error: SyncError,
                  full_refresh: bool = False) -> SyncError:
    """Leave the working state so that the next run does the right thing, and say what it will do.

    A full refresh that failed before its load began is abandoned (the warehouse was not touched and
    the next run must not apply half of it); an interrupted run says what a rerun does."""
    note = ""
    try:
        pipeline = make_pipeline(destination)
        if full_refresh and not load_began(exc):
            _wipe(pipeline)
            note = (f"the full refresh was not applied and {destination.describe()} is unchanged; "
                    "rerun with --full-refresh to refresh")
        else:
            pending = pending_packages(pipeline)
            if pending and full_refresh:
                note = "the next run finishes loading the full refresh first"
            elif pending:
                note = f"the next run loads the {_plural(len(pending), 'pending load package')} first"
            elif error.exit_code == EXIT_INTERRUPTED:
                note = ("the steps loaded so far are kept; the next run goes on from the last loaded "
                        "step (a first sync reads the finished projects only for changes)")
    except SyncError:
        pass
    except Exception:  # noqa: BLE001 - the original error is what matters
        pass
    if not note:
        return error
    return SyncError(f"{error}; {note}", error.exit_code)
