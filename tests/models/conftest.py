"""Fixtures for the SQL model tests: the raw fixture loaded into DuckDB and (if reachable) PostgreSQL,
with every model built once per session."""
from __future__ import annotations

import time

import pytest
from raw_fixture import duckdb_pipeline, load_raw, postgres_pipeline

from pipelines.models import ModelProject

# A far-from-UTC session time zone for PostgreSQL: any computation that is not done in UTC shows up
# as a difference against DuckDB in the golden test.
PG_SESSION_TZ = "Pacific/Kiritimati"


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
    """A throwaway database on the test PostgreSQL server (tests/pg.py)."""
    with pg_server.database() as db:
        yield db


@pytest.fixture(scope="session")
def pg(tmp_path_factory, pg_server, pg_database, project, build_times):
    """The fixture loaded into PostgreSQL, with sessions in a far-from-UTC time zone."""
    tmp = tmp_path_factory.mktemp("pg")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PGTZ", PG_SESSION_TZ)  # libpq sets the session time zone from PGTZ
        p = postgres_pipeline(pg_server.dsn(pg_database), tmp / "pipelines")
        load_raw(p)
        started = time.perf_counter()
        results = project.build(p)
        build_times["postgres"] = time.perf_counter() - started
        p._model_results = results  # type: ignore[attr-defined]
        yield p


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request):
    """The built pipeline of each destination."""
    return request.getfixturevalue("duck" if request.param == "duckdb" else "pg")
