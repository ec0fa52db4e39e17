"""PostgreSQL as a real destination: the same simulator data synced into DuckDB and PostgreSQL loads the
same raw rows and builds identical marts (floats compared after rounding)."""

from __future__ import annotations


import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import engine_differences
from pg import synced_into_both
from weather import WEATHER

from pipelines.models import ModelProject
from pipelines.models.build import build_models, run_model_tests
from pipelines.sync.run import run_sync
from pipelines.warehouse.destination import Destination
from pipelines.warehouse.runtime import make_pipeline


both_credentials: dict = {}


def _rows(destination: Destination, sql: str) -> list[tuple]:
    with make_pipeline(destination).sql_client() as client:
        return [tuple(r) for r in client.execute_sql(sql)]


@pytest.fixture(scope="module")
def both(pg_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pg-golden")
    sim = AsanaSimulator(SimConfig.small(seed=31, **WEATHER))
    with synced_into_both(pg_server, sim, tmp, "golden.duckdb") as (duck, pg, dsn):
        both_credentials["dsn"] = dsn
        yield sim, duck, pg


def test_raw_tables_are_identical(both):
    sim, duck, pg = both
    for table, key in (("tasks", "gid"), ("stories", "gid"), ("task_custom_field_values", "task_gid"),
                       ("task_memberships", "task_gid"), ("projects", "gid"), ("users", "gid")):
        sql = f"select * from asana_raw.{table} order by {key}"
        columns = None
        with make_pipeline(duck).sql_client() as client:
            with client.execute_query(f"select * from asana_raw.{table} limit 0") as cur:
                columns = [d[0] for d in cur.description if not d[0].startswith("_dlt")]
        sql = f"select {', '.join(columns)} from asana_raw.{table}"
        assert engine_differences(table, _rows(duck, sql), _rows(pg, sql)) == []
    assert len(_rows(pg, "select gid from asana_raw.tasks")) == len(sim.store.tasks)


def test_every_mart_is_identical_on_both_engines(both):
    _, duck, pg = both
    project = ModelProject.load()
    marts = [name for name in project.order() if project[name].layer == "marts"]
    assert marts
    for name in marts:
        catalog = "golden."  # DuckDB names the file's catalog after it
        duck_rows = _rows(duck, f"select * from {catalog}asana_analytics.{name}")
        pg_rows = _rows(pg, f"select * from asana_analytics.{name}")
        assert engine_differences(name, duck_rows, pg_rows) == []


def test_data_tests_pass_on_postgres(both):
    _, _, pg = both
    failed = [r for r in run_model_tests(pg) if not r.passed]
    assert failed == []


def test_full_refresh_on_postgres_with_models_in_place(both, monkeypatch):
    """Views depend on the raw tables; a full refresh must still be able to drop and reload them."""
    sim, _, pg = both
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", both_credentials["dsn"])
    with serve_in_thread(sim, port=0) as base_url:
        options = {"access_token": "sim-token", "base_url": base_url, "requests_per_minute": 100_000}
        run_sync(pg, source_options=options, full_refresh=True)
        build_models(pg)
    assert len(_rows(pg, "select gid from asana_raw.tasks")) == len(sim.store.tasks)


def test_empty_strings_and_nulls_stay_apart_in_postgres(both):
    """Parquet reaches PostgreSQL through ADBC: an empty string stays '' and a missing value NULL."""
    sim, _, pg = both
    empty_notes = sum(1 for t in sim.store.tasks.values() if t.get("notes") == "")
    no_due_date = sum(1 for t in sim.store.tasks.values() if t.get("due_on") is None)
    assert empty_notes and no_due_date
    assert _rows(pg, "select count(*) from asana_raw.tasks where notes = ''") == [(empty_notes,)]
    assert _rows(pg, "select count(*) from asana_raw.tasks where notes is null") == [(0,)]
    assert _rows(pg, "select count(*) from asana_raw.tasks where due_on is null") == [(no_due_date,)]


def test_no_unique_index_on_dlt_id(both):
    """dlt's PostgreSQL default gives every table a UNIQUE index on ``_dlt_id`` (a random string
    nothing looks up) that every COPY into staging and every merge insert then maintains; the
    project's destination leaves it out (``pipelines/warehouse/key_merge.py``), as dlt does for DuckDB."""
    _, _, pg = both
    assert _rows(pg, "select count(*) from asana_raw.tasks") != [(0,)]
    indexes = _rows(pg, "select schemaname, tablename, indexdef from pg_indexes "
                        "where schemaname in ('asana_raw', 'asana_raw_staging') and indexdef like '%_dlt_id%'")
    assert indexes == []
