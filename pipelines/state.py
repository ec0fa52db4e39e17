"""Local dlt working state, bound to the warehouse it belongs to.

dlt keeps a pipeline's working state (cursors, schemas, load packages not yet loaded) in a local
folder and a copy of the state in the warehouse (``_dlt_pipeline_state``). asana-sync keys the local
folder by what the destination really is (the resolved DuckDB file; PostgreSQL host, port, database
and dataset as dlt resolves them, never the password) and, before every run, compares the local state
with the warehouse's copy (``bind_state``):

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

import hashlib
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from filelock import FileLock, Timeout

from .errors import EXIT_CONFIG, EXIT_DESTINATION, EXIT_LOCKED, SyncError, find_cause, first_line

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Destination

BINDING_FILE = "binding.json"
LOCK_FILE = "run.lock"
RUN_INFO_FILE = "run.json"

Say = Callable[[str], None]


# --- what the destination is ----------------------------------------------------------------------


def postgres_credentials() -> Any:
    """PostgreSQL credentials exactly as dlt resolves them (env, secrets.toml, config.toml).

    A URL without a password is accepted (the server may trust local logins): the password is set
    to an empty string, which dlt accepts and libpq ignores."""
    import dlt
    from dlt.common.configuration.exceptions import ConfigurationException

    factory = dlt.destinations.postgres()
    try:
        config = factory.configuration(None, accept_partial=True)
    except ConfigurationException as error:
        raise SyncError(f"PostgreSQL credentials are malformed: {first_line(error)}", EXIT_CONFIG) from None
    except ValueError as error:
        raise SyncError(f"PostgreSQL credentials are malformed: {first_line(error)}", EXIT_CONFIG) from None
    credentials = config.credentials
    if credentials is None or not credentials.host or not credentials.database:
        missing = "credentials" if credentials is None or not credentials.host else "a database name"
        raise SyncError(f"no PostgreSQL {missing}: set DESTINATION__POSTGRES__CREDENTIALS or credentials under "
                        "[destination.postgres] in .dlt/secrets.toml, as postgresql://user:password@host:5432/database",
                        EXIT_CONFIG)
    if not credentials.username:
        raise SyncError("the PostgreSQL credentials name no user (postgresql://user:password@host:5432/database)",
                        EXIT_CONFIG)
    credentials = credentials.copy() if hasattr(credentials, "copy") else credentials
    if credentials.password is None:
        credentials.password = ""
    return credentials


def identity(destination: "Destination") -> str:
    """What the warehouse is; names the working folder. Never contains a password."""
    from .pipeline import DATASET

    # A partition is its own pipeline in the same warehouse: its own working folder and run lock.
    suffix = f"#partition={destination.partition.name}" if getattr(destination, "partition", None) else ""
    if destination.kind == "duckdb":
        return f"duckdb:{Path(destination.duckdb_path).expanduser().resolve()}{suffix}"
    credentials = postgres_credentials()
    return f"postgres://{credentials.host}:{credentials.port or 5432}/{credentials.database}/{DATASET}{suffix}"


def home() -> Path:
    return Path(os.environ.get("ASANA_SYNC_HOME") or Path.home() / ".asana-sync").expanduser()


def working_dir(destination: "Destination") -> Path:
    """dlt's local working state, one folder per warehouse so two warehouses never share cursors."""
    digest = hashlib.sha1(identity(destination).encode()).hexdigest()[:12]
    return home() / "pipelines" / digest


def ensure_working_dir(destination: "Destination") -> Path:
    folder = working_dir(destination)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        where = "ASANA_SYNC_HOME" if os.environ.get("ASANA_SYNC_HOME") else "the home directory"
        raise SyncError(f"cannot write the working folder {folder} ({where}): {error.strerror or error}; "
                        "set ASANA_SYNC_HOME to a writable folder", EXIT_CONFIG) from None
    return folder


# --- the run lock ---------------------------------------------------------------------------------


class RunLock:
    """One writer per warehouse: ``run`` and ``models run`` both take it; ``status`` only looks."""

    def __init__(self, destination: "Destination", what: str = "run") -> None:
        self.destination = destination
        self.what = what
        self.folder = ensure_working_dir(destination)
        self._lock = FileLock(str(self.folder / LOCK_FILE), timeout=0)

    def acquire(self) -> "RunLock":
        try:
            self._lock.acquire()
        except Timeout:
            info = read_run_info(self.destination)
            since = f" (pid {info.get('pid')}, {info.get('what', 'run')} started {info.get('started_at', '?')[:19]} UTC)" \
                if info else ""
            raise SyncError(f"another asana-sync run is already writing to {self.destination.describe()}{since}; "
                            f"this {self.what} did nothing", EXIT_LOCKED) from None
        try:
            (self.folder / RUN_INFO_FILE).write_text(json.dumps(
                {"pid": os.getpid(), "what": self.what, "started_at": datetime.now(timezone.utc).isoformat()}))
        except OSError:
            pass
        return self

    def release(self) -> None:
        try:
            (self.folder / RUN_INFO_FILE).unlink(missing_ok=True)
        except OSError:
            pass
        self._lock.release()

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def run_in_progress(destination: "Destination") -> bool:
    """Whether a run holds the lock now (looks without creating anything)."""
    folder = working_dir(destination)
    path = folder / LOCK_FILE
    if not path.exists():
        return False
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    except OSError:
        return False
    lock.release()
    return False


def read_run_info(destination: "Destination") -> dict:
    try:
        return json.loads((working_dir(destination) / RUN_INFO_FILE).read_text())
    except (OSError, ValueError):
        return {}


# --- binding local state to the warehouse ---------------------------------------------------------


def warehouse_exists(destination: "Destination") -> bool:
    """Whether the warehouse file exists (DuckDB); PostgreSQL databases are checked by preflight."""
    return destination.kind != "duckdb" or Path(destination.duckdb_path).exists()


def remote_state(pipeline: Any, destination: "Destination") -> Optional[dict]:
    """The pipeline state stored in the warehouse (dlt's own reader), or None when it holds none.
    Never creates a DuckDB file."""
    from dlt.common.destination.exceptions import DestinationUndefinedEntity
    from dlt.pipeline.state_sync import load_pipeline_state_from_destination

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


def write_binding(folder: Path, destination: "Destination", warehouse_hash: Optional[str]) -> None:
    data = {"identity": identity(destination), "warehouse_state_hash": warehouse_hash,
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


def bind_state(destination: "Destination", say: Optional[Say] = None) -> dict:
    """Make the local working state agree with the warehouse before a run; returns what was done.

    Says one line when it had to act (restored, started fresh, discarded packages)."""
    from .pipeline import make_pipeline

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
            in_sync = binding.get("warehouse_state_hash") == remote_hash and binding.get("identity") == identity(
                destination)
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


def after_failure(destination: "Destination", exc: BaseException, error: SyncError,
                  full_refresh: bool = False) -> SyncError:
    """Leave the working state so that the next run does the right thing, and say what it will do.

    A full refresh that failed before its load began is abandoned (the warehouse was not touched and
    the next run must not apply half of it); an interrupted run says what a rerun does."""
    from dlt.pipeline.exceptions import PipelineStepFailed

    from .errors import EXIT_INTERRUPTED
    from .pipeline import make_pipeline

    step_failed = find_cause(exc, PipelineStepFailed)
    step = getattr(step_failed, "step", None)
    note = ""
    try:
        pipeline = make_pipeline(destination)
        if full_refresh and step != "load":
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
