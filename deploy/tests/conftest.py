"""The orchestration tests run in their own virtualenv (``make test-deploy``: .venv-deploy with the
``deploy`` extra, pinned by deploy/constraints.txt); without dagster or apache-airflow they skip.

Everything is hermetic: Airflow's home and its SQLite metadata database, the dlt working state and
the warehouse live in a temporary folder; the simulator serves Asana in a thread."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Set before Airflow is imported anywhere: its configuration is read at import.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="asana-sync-airflow-")
os.environ.setdefault("AIRFLOW_HOME", _AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_AIRFLOW_HOME}/airflow.db")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DAGSTER_HOME", tempfile.mkdtemp(prefix="asana-sync-dagster-"))
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ASANA_SYNC_HOME", str(tmp_path / "asana-sync-home"))
    for key in list(os.environ):
        if key.startswith(("SOURCES__ASANA__", "ASANA_SYNC_PARTITIONS", "ASANA_SYNC_DESTINATION")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def simulated(tmp_path, monkeypatch):
    """A simulator with two workspaces (an organization of two teams, and a personal one), and the
    environment both orchestrators read: a partition per team beside one per workspace."""
    from asana_sim import AsanaSimulator, SimConfig, serve_in_thread

    sim = AsanaSimulator(SimConfig.small(seed=29))
    with serve_in_thread(sim, port=0) as base_url:
        monkeypatch.setenv("SOURCES__ASANA__ACCESS_TOKEN", sim.config.tokens[0])
        monkeypatch.setenv("SOURCES__ASANA__BASE_URL", base_url)
        monkeypatch.setenv("SOURCES__ASANA__REQUESTS_PER_MINUTE", "100000")
        monkeypatch.setenv("ASANA_SYNC_DESTINATION", "duckdb")
        monkeypatch.setenv("ASANA_SYNC_DUCKDB_PATH", str(tmp_path / "asana.duckdb"))
        monkeypatch.setenv("ASANA_SYNC_PARTITIONS", ",".join(partition_names(sim)))
        yield sim, tmp_path / "asana.duckdb"


def partition_names(sim) -> list[str]:
    return [f"team:{t}" for t in sorted(sim.store.teams)] + [f"workspace:{w}" for w in sorted(sim.store.workspaces)]


def assert_partitions_synced_and_models_built(sim, path) -> None:
    """The warehouse equals the simulator, each partition recorded its run, and the models were
    built once after them."""
    import duckdb
    from truth import compare, compare_coverage

    assert compare(sim.store, path) == []
    assert compare_coverage(sim.store, path) == []
    con = duckdb.connect(str(path), read_only=True)
    try:
        partitions = sorted(r[0] for r in con.execute("select sync_partition from asana_raw.sync_runs").fetchall())
        assert partitions == sorted(partition_names(sim))
        assert con.execute("select count(*) from asana_analytics.asana__project").fetchone()[0] > 0
    finally:
        con.close()
