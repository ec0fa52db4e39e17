"""Who may write, and when: one run (or ``models run``) per warehouse and partition, one writer
process per DuckDB file, and PostgreSQL loads that take turns.

``run.lock`` in the working folder holds the run lock; ``run.json`` beside it says who holds it
(``{"pid": 4242, "what": "run", "started_at": "2026-12-05T21:16:06+00:00"}``), for ``status``
and for the message another run gets.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from filelock import FileLock, Timeout

from ..errors import EXIT_DESTINATION, EXIT_LOCKED, SyncError, first_line
from .identity import ensure_working_dir, postgres_connect, postgres_credentials, postgres_where, working_dir

LOCK_FILE = "run.lock"
RUN_INFO_FILE = "run.json"
# How long a DuckDB partition waits for another one writing to the same file (seconds).
DUCKDB_WAIT_ENV = "ASANA_SYNC_DUCKDB_WAIT_SECONDS"
DUCKDB_WAIT_SECONDS = 21600.0
# The advisory lock key every asana-sync load into one PostgreSQL database takes (any constant bigint).
PG_LOAD_LOCK_KEY = 0x4153414E41  # "ASANA"


class RunLock:
    """One writer per warehouse: ``run`` and ``models run`` both take it; ``status`` only looks."""

    def __init__(self, destination: Any, what: str = "run") -> None:
        self.destination = destination
        self.what = what
        self.folder = ensure_working_dir(destination)
        self._lock = FileLock(str(self.folder / LOCK_FILE), timeout=0)

    @property
    def path(self) -> Path:
        return self.folder / LOCK_FILE

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


def run_in_progress(destination: Any) -> bool:
    """Whether a run holds the lock now (looks without creating anything)."""
    return is_held(working_dir(destination) / LOCK_FILE)


def is_held(lock: Path) -> bool:
    """Whether some process holds the file lock ``lock`` now (looks without keeping it, and without
    creating the file)."""
    if not lock.exists():
        return False
    probe = FileLock(str(lock), timeout=0)
    try:
        probe.acquire()
    except Timeout:
        return True
    except OSError:
        return False
    probe.release()
    return False


def read_run_info(destination: Any) -> dict:
    try:
        return json.loads((working_dir(destination) / RUN_INFO_FILE).read_text())
    except (OSError, ValueError):
        return {}


@contextmanager
def duckdb_writer(destination: Any, say: Callable[[str], None]) -> Iterator[None]:
    """A partition's whole run holds the DuckDB file: DuckDB allows one writer process at a time."""
    if destination.kind != "duckdb" or destination.partition is None:
        yield
        return
    path = Path(destination.duckdb_path)
    lock = FileLock(str(path.with_name(path.name + ".writer.lock")))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        say(f"partition {destination.partition.name} waits for another partition writing to {path} "
            "(a DuckDB file has one writer at a time; run partitions concurrently on PostgreSQL)")
        started = time.monotonic()
        try:
            lock.acquire(timeout=float(os.environ.get(DUCKDB_WAIT_ENV) or DUCKDB_WAIT_SECONDS))
        except Timeout:
            raise SyncError(f"partition {destination.partition.name} waited {time.monotonic() - started:.0f}s for "
                            f"{path} and gave up ({DUCKDB_WAIT_ENV}); this run did nothing", EXIT_LOCKED) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def load_lock(destination: Any) -> Iterator[None]:
    """PostgreSQL loads into one database take turns: dlt's merge writes shared staging tables and
    two concurrent schema updates could both create a table. Held on its own connection."""
    if destination.kind != "postgres":
        yield
        return
    credentials = postgres_credentials()
    try:
        connection: Any = postgres_connect(credentials)
    except Exception as error:  # noqa: BLE001 - psycopg2's errors: the server went away mid-run
        raise SyncError(f"cannot connect to {postgres_where(credentials)}: {first_line(error)}",
                        EXIT_DESTINATION) from None
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("select pg_advisory_lock(%s)", (PG_LOAD_LOCK_KEY,))
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("select pg_advisory_unlock(%s)", (PG_LOAD_LOCK_KEY,))
        except Exception:  # noqa: BLE001 - closing the session releases it too
            pass
        connection.close()
