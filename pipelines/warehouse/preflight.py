"""Checks of the warehouse before the first Asana request, so that a mistake costs seconds, not a
whole extract: it is reachable, accepts the credentials and ``asana_raw`` is writable (a rolled-back
``create schema`` / ``create table``); a DuckDB file is neither locked by another process nor
corrupt, or its folder is writable when it does not exist yet (it is not created here). Exit 7.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import psycopg2

from ..errors import EXIT_DESTINATION, SyncError, clean
from .destination import DATASET, Destination
from .identity import postgres_connect, postgres_credentials, postgres_where

PROBE_TABLE = "_asana_sync_preflight"


def check_destination(destination: Destination, write: bool = True) -> None:
    if destination.kind == "duckdb":
        _check_duckdb(Path(destination.duckdb_path), write)
    else:
        _check_postgres(write)


def duckdb_failure(path: Path, error: BaseException) -> SyncError:
    text = clean(str(error))
    lowered = text.lower()
    if "lock" in lowered:
        return SyncError(f"DuckDB file locked by another process: {path}; close it (e.g. a DuckDB shell) or wait "
                         f"for it ({text})", EXIT_DESTINATION)
    if "not a valid duckdb" in lowered or "corrupt" in lowered or "invalid" in lowered \
            or "serializ" in lowered or "checksum" in lowered:
        return SyncError(f"not a readable DuckDB database (corrupt, or another kind of file): {path}: {text}",
                         EXIT_DESTINATION)
    return SyncError(f"cannot open the DuckDB file {path}: {text}", EXIT_DESTINATION)


def _check_duckdb(path: Path, write: bool) -> None:
    if path.is_dir():
        raise SyncError(f"the DuckDB path is a directory, not a file: {path}", EXIT_DESTINATION)
    if not path.exists():
        if not write:
            raise SyncError(f"no warehouse at {path}: nothing synced there yet (run `asana-sync run` first, or pass "
                            "--duckdb-path)", EXIT_DESTINATION)
        parent = path.parent
        if not parent.is_dir():
            raise SyncError(f"cannot create the DuckDB file, its folder does not exist: {path}", EXIT_DESTINATION)
        try:
            fd, probe = tempfile.mkstemp(dir=parent, prefix=".asana-sync-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as error:
            raise SyncError(f"cannot create the DuckDB file ({error.strerror or error}): {path}",
                            EXIT_DESTINATION) from None
        return
    try:
        con = duckdb.connect(str(path), read_only=not write)
    except Exception as error:  # noqa: BLE001 - duckdb's IOException, InternalException, ...
        raise duckdb_failure(path, error) from None
    try:
        if write:
            con.execute("begin transaction")
            con.execute(f'create schema if not exists "{DATASET}"')
            con.execute(f'create table "{DATASET}"."{PROBE_TABLE}" (x integer)')
            con.execute("rollback")
        else:
            con.execute("select count(*) from information_schema.tables").fetchall()
    except Exception as error:  # noqa: BLE001
        raise SyncError(f"cannot write the DuckDB file {path}: {clean(str(error))}", EXIT_DESTINATION) from None
    finally:
        con.close()


def _check_postgres(write: bool) -> None:
    credentials = postgres_credentials()
    where = postgres_where(credentials)
    try:
        conn = postgres_connect(credentials)
    except psycopg2.Error as error:
        raise SyncError(f"cannot connect to {where}: {clean(str(error))}", EXIT_DESTINATION) from None
    try:
        with conn.cursor() as cur:
            if write:
                cur.execute(f'create schema if not exists "{DATASET}"')
                cur.execute(f'create table "{DATASET}"."{PROBE_TABLE}" (x integer)')
            else:
                cur.execute("select 1 from information_schema.schemata where schema_name = %s", (DATASET,))
                if cur.fetchone() is None:
                    raise SyncError(f"no warehouse in {where}: schema {DATASET} does not exist (run `asana-sync run "
                                    "--destination postgres` first)", EXIT_DESTINATION)
        conn.rollback()
    except psycopg2.Error as error:
        raise SyncError(f"{where} does not let this user write schema {DATASET}: {clean(str(error))}",
                        EXIT_DESTINATION) from None
    finally:
        conn.close()


def require_warehouse(destination: Destination) -> None:
    """Commands that work on an existing warehouse refuse (exit 7) rather than create an empty one."""
    check_destination(destination, write=False)
