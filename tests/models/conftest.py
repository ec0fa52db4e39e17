"""Fixtures for the SQL model tests: the raw fixture loaded into DuckDB and (if reachable) PostgreSQL,
with every model built once per session."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pipelines.models import ModelProject  # noqa: E402
from raw_fixture import duckdb_pipeline, load_raw, postgres_pipeline  # noqa: E402

PG_HOST = os.environ.get("ASANA_SYNC_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("ASANA_SYNC_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("ASANA_SYNC_TEST_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("ASANA_SYNC_TEST_PG_DB", "test")
# a far-from-UTC session time zone for PostgreSQL: any computation that is not done in UTC shows up
# as a difference against DuckDB in the golden test
PG_SESSION_TZ = "Pacific/Kiritimati"


def _dsn(db: str) -> str:
    # dlt requires a password field; trust auth ignores it
    password = os.environ.get("ASANA_SYNC_TEST_PG_PASSWORD", "unused")
    return f"postgresql://{PG_USER}:{password}@{PG_HOST}:{PG_PORT}/{db}"


@pytest.fixture(scope="session")
def project() -> ModelProject:
    return ModelProject.load()


@pytest.fixture(scope="session")
def build_times() -> dict:
    return {}


@pytest.fixture(scope="session")
def duck(tmp_path_factory, project, build_times):
    tmp = tmp_path_factory.mktemp("duck")
    p = duckdb_pipeline(tmp / "warehouse.duckdb", tmp / "pipelines")
    load_raw(p)
    started = time.perf_counter()
    results = project.build(p)
    build_times["duckdb"] = time.perf_counter() - started
    p._model_results = results  # type: ignore[attr-defined]
    return p


@pytest.fixture(scope="session")
def pg_database(pg_server):
    """A throwaway database on the test PostgreSQL server (tests/pg.py: the machine's server, or a
    cluster started from its binaries)."""
    global PG_HOST, PG_PORT, PG_USER
    PG_HOST, PG_PORT, PG_USER = pg_server.host, pg_server.port, pg_server.user
    with pg_server.database() as db:
        yield db


@pytest.fixture(scope="session")
def pg(tmp_path_factory, pg_database, project, build_times):
    tmp = tmp_path_factory.mktemp("pg")
    old_tz = os.environ.get("PGTZ")
    os.environ["PGTZ"] = PG_SESSION_TZ  # libpq sets the session time zone from PGTZ
    try:
        p = postgres_pipeline(_dsn(pg_database), tmp / "pipelines")
        load_raw(p)
        started = time.perf_counter()
        results = project.build(p)
        build_times["postgres"] = time.perf_counter() - started
        p._model_results = results  # type: ignore[attr-defined]
        yield p
    finally:
        if old_tz is None:
            os.environ.pop("PGTZ", None)
        else:
            os.environ["PGTZ"] = old_tz


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request):
    """The built pipeline of each destination."""
    return request.getfixturevalue("duck" if request.param == "duckdb" else "pg")
