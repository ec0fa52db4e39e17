"""A PostgreSQL server for the tests: the machine's own on 127.0.0.1:5432 when it answers, otherwise a
throwaway cluster started from the machine's PostgreSQL binaries; skipped only outside CI."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Optional


@dataclass
class PgServer:
    host: str
    port: int
    user: str
    admin_db: str

    def dsn(self, db: str) -> str:
        # dlt's credentials want a password; trust auth ignores it.
        password = os.environ.get("ASANA_SYNC_TEST_PG_PASSWORD", "unused")
        return f"postgresql://{self.user}:{password}@{self.host}:{self.port}/{db}"

    def connect(self, db: Optional[str] = None):
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname=db or self.admin_db,
                                password=os.environ.get("ASANA_SYNC_TEST_PG_PASSWORD"), connect_timeout=3)

    @contextmanager
    def database(self) -> Iterator[str]:
        """A fresh database, dropped afterwards."""
        name = f"asana_sync_test_{uuid.uuid4().hex[:10]}"
        conn = self.connect()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'create database "{name}"')
        try:
            yield name
        finally:
            with conn.cursor() as cur:
                cur.execute(f'drop database if exists "{name}" with (force)')
            conn.close()


def _answers(server: PgServer) -> bool:
    try:
        server.connect().close()
        return True
    except Exception:  # noqa: BLE001
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server() -> Iterator[Optional[PgServer]]:
    configured = PgServer(os.environ.get("ASANA_SYNC_TEST_PG_HOST", "127.0.0.1"),
                          int(os.environ.get("ASANA_SYNC_TEST_PG_PORT", "5432")),
                          os.environ.get("ASANA_SYNC_TEST_PG_USER", "postgres"),
                          os.environ.get("ASANA_SYNC_TEST_PG_DB", "test"))
    if _answers(configured):
        yield configured
        return
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    initdb = binaries[-1]
    if not initdb or not os.path.exists(initdb):
        yield None
        return
    bindir = os.path.dirname(initdb)
    data = tempfile.mkdtemp(prefix="asana-sync-pg-")
    # initdb refuses to run as root: hand the cluster to the postgres system user.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(data, "postgres")
    port = _free_port()
    try:
        subprocess.run(as_user + [initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True)
        subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-w", "-l", f"{data}/log",
                                  "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True)
        server = PgServer("127.0.0.1", port, "postgres", "postgres")
        deadline = time.monotonic() + 20
        while not _answers(server) and time.monotonic() < deadline:
            time.sleep(0.2)
        yield server if _answers(server) else None
    finally:
        subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def synced_into_both(server: PgServer, sim, tmp, duckdb_name: str = "asana.duckdb") -> Iterator[tuple]:
    """``sim`` synced, with models, into a DuckDB file in ``tmp`` and a fresh PostgreSQL database:
    ``(duckdb destination, postgres destination, dsn)``, the environment pointing at that database."""
    import pytest
    from asana_sim import serve_in_thread

    from pipelines.models.build import build_models

    from pipelines.sync.run import run_sync

    from pipelines.warehouse.destination import Destination

    with server.database() as db, pytest.MonkeyPatch.context() as env:
        env.setenv("DESTINATION__POSTGRES__CREDENTIALS", server.dsn(db))
        env.setenv("ASANA_SYNC_HOME", str(tmp / "home"))
        duck = Destination.parse("duckdb", str(tmp / duckdb_name))
        pg = Destination.parse("postgres")
        with serve_in_thread(sim, port=0) as base_url:
            options = {"access_token": "sim-token", "base_url": base_url, "requests_per_minute": 100_000}
            for destination in (duck, pg):
                run_sync(destination, source_options=options)
                build_models(destination)
        yield duck, pg, server.dsn(db)


def raw_tables_into_duckdb(destination, path):
    """The PostgreSQL warehouse's raw tables copied into a DuckDB file, for the ground truth checks
    (``truth.compare`` reads DuckDB)."""
    import duckdb
    import pyarrow as pa

    from pipelines.warehouse.runtime import make_pipeline

    con = duckdb.connect(str(path))
    con.execute("create schema asana_raw")
    with make_pipeline(destination).sql_client() as client:
        tables = [r[0] for r in client.execute_sql(
            "select table_name from information_schema.tables where table_schema = 'asana_raw'")]
        for table in tables:
            with client.execute_query(f"select * from asana_raw.{table}") as cursor:
                names = [d[0] for d in cursor.description]
                data = [dict(zip(names, r)) for r in cursor.fetchall()]
            arrow = pa.Table.from_pylist(data) if data else pa.table({n: pa.array([], pa.string()) for n in names})
            con.register("incoming", arrow)
            con.execute(f'create table asana_raw."{table}" as select * from incoming')
            con.unregister("incoming")
    con.close()
    return path
