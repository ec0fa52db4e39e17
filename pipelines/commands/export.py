"""``asana-sync export``: raw tables, models or a query's result as CSV, Parquet or JSON lines files.

Each engine's bulk path, never rows through Python objects:

- DuckDB: ``COPY (select ...) TO 'file' (FORMAT csv|parquet|json)`` on the file opened read-only;
  DuckDB streams the result to the file itself.
- PostgreSQL: the ADBC driver (``adbc-driver-postgresql``) streams the result as Arrow record
  batches (``cursor.fetch_record_batch()``), written batch by batch with pyarrow's ``ParquetWriter``
  and ``CSVWriter``; JSON lines are written by an in-memory DuckDB that scans the same Arrow stream
  (pyarrow has no JSON writer). Memory stays at a few batches whatever the table's size.

Files land in ``DIR/<schema>/<table>.<ext>`` (``DIR/asana_raw/tasks.parquet``,
``DIR/asana_analytics/asana__project.parquet``) and a query's result in ``DIR/<name>.<ext>``. Each
file is written under a temporary name and renamed when complete, so a failed export never leaves a
truncated file behind. Timestamps are written in UTC.

Without ``--table`` or ``--query``: every raw table (less dlt's bookkeeping tables ``_dlt_*``) and
every mart (the models of the ``marts`` layer; staging views and intermediate tables are building
blocks, and ``--table`` exports them by name).
"""

from __future__ import annotations

import difflib
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

import adbc_driver_manager
import adbc_driver_postgresql.dbapi as adbc
import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import EXIT_CONFIG, EXIT_DESTINATION, SyncError, first_line
from ..models.build import model_project
from ..models.project import MODEL_SCHEMA
from ..warehouse.destination import DATASET
from ..warehouse.identity import postgres_credentials, postgres_where
from ..warehouse.preflight import duckdb_failure, require_warehouse
from .query import read_only_statement

FORMATS = ("csv", "parquet", "jsonl")
EXTENSIONS = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl"}
DUCKDB_COPY_OPTIONS = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet", "jsonl": "FORMAT json"}


@dataclass
class ExportJob:
    """One file to write: a table (``schema`` and ``name``) or a query (``schema`` None)."""

    name: str
    sql: str
    schema: Optional[str] = None

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else f"query {self.name}"


@dataclass
class ExportedFile:
    source: str
    path: Path
    rows: int
    bytes: int
    seconds: float


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _schemas() -> tuple[str, str]:
    return DATASET, MODEL_SCHEMA


def default_tables(available: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Every raw table but dlt's own, and every mart the warehouse holds."""
    raw, models = _schemas()
    tables = [(raw, t) for t in sorted(available.get(raw, ())) if not t.startswith("_dlt")
              and not t.startswith("_asana_sync")]
    project = model_project()
    marts = sorted(name for name in project.order() if project[name].layer == "marts")
    tables += [(models, name) for name in marts if name in available.get(models, ())]
    return tables


def resolve_tables(names: Sequence[str], available: dict[str, set[str]]) -> list[tuple[str, str]]:
    """``tasks``, ``asana_raw.tasks``, ``asana__project`` or ``asana_analytics.asana__project`` ->
    (schema, table); an unknown name is refused (exit 2) with the closest known ones."""
    raw, models = _schemas()
    known = [f"{schema}.{table}" for schema in (raw, models) for table in sorted(available.get(schema, ()))
             if not table.startswith("_dlt")]
    resolved: list[tuple[str, str]] = []
    for name in names:
        schema, _, table = name.rpartition(".")
        candidates = [schema] if schema else [raw, models]
        found = [(s, table) for s in candidates if table in available.get(s, ())]
        if not found:
            close = difflib.get_close_matches(name, known + [k.split(".", 1)[1] for k in known], n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else \
                f"; the warehouse has {len(known)} tables and models (without --table every raw table and mart " \
                "is exported)" if known else "; the warehouse holds no tables yet (run `asana-sync run` first)"
            raise SyncError(f"unknown table {name!r}{hint}", EXIT_CONFIG)
        if found[0] not in resolved:
            resolved.append(found[0])
    return resolved


def prepare_dir(out_dir: Path) -> Path:
    """The output folder, created if needed and checked writable (exit 7 otherwise)."""
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise SyncError(f"cannot export into {out_dir}: it is a file, not a folder", EXIT_DESTINATION)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".asana-sync-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise SyncError(f"cannot write the export folder {out_dir}: {error.strerror or error}",
                        EXIT_DESTINATION) from None
    return out_dir.resolve()


def export(destination: Any, out_dir: Path | str, fmt: str = "parquet", tables: Sequence[str] = (),
           query: Optional[str] = None, name: str = "query",
           on_file: Optional[Any] = None) -> list[ExportedFile]:
    """Write the asked tables (or the default set, or a query's result) into ``out_dir``.

    Raises ``SyncError``: 2 for an unknown table, a query the warehouse refuses or a bad format or
    name; 7 for a missing or unreadable warehouse and an output folder that cannot be written."""
    if fmt not in FORMATS:
        raise SyncError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}", EXIT_CONFIG)
    if query is not None and tables:
        raise SyncError("give either --table or --query, not both", EXIT_CONFIG)
    if query is not None:
        query = read_only_statement(query, "duckdb" if destination.kind == "duckdb" else "postgres")
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise SyncError(f"--name must be a plain file name, not {name!r}", EXIT_CONFIG)
    require_warehouse(destination)
    folder = prepare_dir(Path(out_dir))
    engine = _DuckDBExporter(destination.duckdb_path) if destination.kind == "duckdb" else _PostgresExporter()
    written: list[ExportedFile] = []
    with engine.connected():
        if query is not None:
            jobs = [ExportJob(name, query)]
        else:
            available = engine.tables()
            chosen = resolve_tables(tables, available) if tables else default_tables(available)
            if not chosen:
                raise SyncError(f"nothing to export: {destination.describe()} holds no tables yet (run "
                                "`asana-sync run` first)", EXIT_CONFIG)
            jobs = [ExportJob(table, f"select * from {_quote(schema)}.{_quote(table)}", schema)
                    for schema, table in chosen]
        for job in jobs:
            target = (folder / job.schema if job.schema else folder) / f"{job.name}.{EXTENSIONS[fmt]}"
            written.append(_write(engine, job, target, fmt))
            if on_file is not None:
                on_file(written[-1])
    return written


def _write(engine: Any, job: ExportJob, target: Path, fmt: str) -> ExportedFile:
    started = time.monotonic()
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        rows = engine.write(job, partial, fmt)
        partial.replace(target)
    except OSError as error:
        _discard(partial)
        raise SyncError(f"cannot write {target}: {error.strerror or first_line(error)}", EXIT_DESTINATION) from None
    except BaseException:
        _discard(partial)
        raise
    return ExportedFile(job.label, target, rows, target.stat().st_size, time.monotonic() - started)


def _discard(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _query_failed(job: ExportJob, error: BaseException, where: str) -> SyncError:
    if job.schema is None:
        return SyncError(f"the query failed in {where}: {first_line(error)}", EXIT_CONFIG)
    return SyncError(f"cannot read {job.label} from {where}: {first_line(error)}", EXIT_DESTINATION)


def _is_disk_error(error: BaseException) -> bool:
    text = str(error).lower()
    return any(s in text for s in ("no space left", "permission denied", "could not open file", "read-only file"))


# --- DuckDB: COPY ... TO ---------------------------------------------------------------------------


class _DuckDBExporter:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.con: Any = None

    @contextmanager
    def connected(self) -> Iterator[None]:
        try:
            self.con = duckdb.connect(str(self.path), read_only=True)
        except Exception as error:  # noqa: BLE001 - locked, corrupt, ...
            raise duckdb_failure(self.path, error) from None
        try:
            self.con.execute("SET TimeZone = 'UTC'")
            yield
        finally:
            self.con.close()

    def tables(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for schema, table in self.con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = current_database() and table_schema in (?, ?)", list(_schemas())).fetchall():
            found.setdefault(schema, set()).add(table)
        return found

    def write(self, job: ExportJob, path: Path, fmt: str) -> int:
        literal = "'" + str(path).replace("'", "''") + "'"
        # DuckDB's parallel CSV and JSON writers buffer to keep the rows in order (3M rows, 700 MB of
        # text: 830-900 MB RSS); one thread streams them in ~110-150 MB, and was faster on 2 cores.
        # Parquet's writer streams row groups either way (200 MB) and gains from the threads.
        self.con.execute("RESET threads" if fmt == "parquet" else "SET threads = 1")
        try:
            result = self.con.execute(f"COPY ({job.sql}) TO {literal} ({DUCKDB_COPY_OPTIONS[fmt]})").fetchone()
        except duckdb.IOException as error:
            raise OSError(0, first_line(error), str(path)) from None
        except duckdb.Error as error:
            if _is_disk_error(error):
                raise OSError(0, first_line(error), str(path)) from None
            raise _query_failed(job, error, str(self.path)) from None
        return int(result[0]) if result else 0


# --- PostgreSQL: ADBC -> Arrow record batches -> pyarrow writers -------------------------------------


class _PostgresExporter:
    def __init__(self) -> None:
        self.conn: Any = None
        self.where = "PostgreSQL"
        self._duck: Any = None

    def _json_writer(self) -> Any:
        """An in-memory DuckDB, opened once per export, that writes JSON lines from Arrow streams."""
        if self._duck is None:
            self._duck = duckdb.connect()
            self._duck.execute("SET TimeZone = 'UTC'")
            # One thread: the Arrow stream is read in order anyway, and parallel writers would buffer
            # (measured: 3M rows, 780 MB of JSON, 830 MB RSS with the default threads, 230 MB with one).
            self._duck.execute("SET threads = 1")
        return self._duck

    @contextmanager
    def connected(self) -> Iterator[None]:
        credentials = postgres_credentials()
        self.where = postgres_where(credentials)
        try:
            self.conn = adbc.connect(credentials.to_native_representation())
        except Exception as error:  # noqa: BLE001 - the driver's own errors; never the URL (password)
            raise SyncError(f"cannot connect to {self.where}: {_without_secret(first_line(error), credentials)}",
                            EXIT_DESTINATION) from None
        try:
            with self.conn.cursor() as cur:
                # Nothing an export runs may change the warehouse, whatever --query says.
                cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                cur.execute("SET TIME ZONE 'UTC'")
            self.conn.commit()
            yield
        finally:
            try:
                self.conn.rollback()
            except Exception:  # noqa: BLE001
                pass
            self.conn.close()
            if self._duck is not None:
                self._duck.close()

    def tables(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        with self.conn.cursor() as cur:
            raw, models = _schemas()
            cur.execute("select table_schema, table_name from information_schema.tables "
                        f"where table_schema in ('{raw}', '{models}')")
            for schema, table in cur.fetchall():
                found.setdefault(schema, set()).add(table)
        self.conn.rollback()
        return found

    def write(self, job: ExportJob, path: Path, fmt: str) -> int:
        cur = self.conn.cursor()
        try:
            try:
                cur.execute(job.sql)
                reader = cur.fetch_record_batch()
            except adbc_driver_manager.Error as error:
                raise _query_failed(job, error, self.where) from None
            return _write_batches(reader, path, fmt, self._json_writer)
        finally:
            cur.close()
            try:
                self.conn.rollback()
            except Exception:  # noqa: BLE001
                pass


def _without_secret(text: str, credentials: Any) -> str:
    password = getattr(credentials, "password", None)
    return text.replace(password, "***") if password else text


def _write_batches(reader: Any, path: Path, fmt: str, json_writer: Any = None) -> int:
    """Stream an Arrow ``RecordBatchReader`` into ``path``: one batch in memory at a time."""
    schema = _plain_schema(reader.schema)
    rows = 0
    if fmt == "jsonl":
        # pyarrow has no JSON writer: DuckDB scans the Arrow stream and writes JSON lines itself.
        stream = pa.RecordBatchReader.from_batches(schema, (_plain(b, schema) for b in reader))
        con = json_writer()
        con.register("export_batches", stream)
        try:
            literal = "'" + str(path).replace("'", "''") + "'"
            result = con.execute(f"COPY (select * from export_batches) TO {literal} (FORMAT json)").fetchone()
            return int(result[0]) if result else 0
        finally:
            con.unregister("export_batches")
    if fmt == "parquet":
        with pq.ParquetWriter(str(path), schema) as writer:
            for batch in reader:
                writer.write_batch(_plain(batch, schema))
                rows += batch.num_rows
        return rows
    with pacsv.CSVWriter(str(path), schema) as writer:
        for batch in reader:
            writer.write_batch(_plain(batch, schema))
            rows += batch.num_rows
    return rows


def _plain_type(kind: Any) -> Any:
    """Arrow extension types (the driver's ``arrow.opaque`` for types it does not map, JSON, ...)
    written as their storage type, which every writer understands."""
    if isinstance(kind, pa.ExtensionType):
        return kind.storage_type
    return kind


def _plain_schema(schema: Any) -> Any:
    return pa.schema([pa.field(f.name, _plain_type(f.type), f.nullable) for f in schema])


def _plain(batch: Any, schema: Any) -> Any:
    if batch.schema.equals(schema):
        return batch
    columns = [c.storage if isinstance(c.type, pa.ExtensionType) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, schema=schema)
