"""The Airflow DAG runs every partition and then the models (``dag.test()``, Airflow 3)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("airflow")


@pytest.fixture(scope="module")
def airflow_db():
    """Airflow's SQLite metadata database in the tests' temporary AIRFLOW_HOME."""
    proc = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_dag_runs_the_partitions_then_the_models(airflow_db, simulated):
    from truth import compare

    from deploy.tests.conftest import assert_partitions_synced_and_models_built

    from deploy.airflow_dag import make_dag

    sim, path = simulated
    dag = make_dag(os.environ["ASANA_SYNC_PARTITIONS"], schedule=None)
    partition_tasks = sorted(t.task_id for t in dag.tasks if t.task_id != "build_models")
    assert partition_tasks == sorted(f"asana_partitions.asana_sync__{name.replace(':', '_')}"
                                     for name in os.environ["ASANA_SYNC_PARTITIONS"].split(","))
    assert all(dag.get_task("build_models") in dag.get_task(t).downstream_list for t in partition_tasks)
    # No partition waits for another: a parallel executor runs them at once (dag.test() runs them in turn).
    assert all(not dag.get_task(t).upstream_list for t in partition_tasks)

    run = dag.test()
    assert str(run.state).endswith("success"), run.state
    assert_partitions_synced_and_models_built(sim, path)

    # A second run is incremental: every partition runs again and stays equal to the simulator.
    run = dag.test()
    assert str(run.state).endswith("success"), run.state
    assert compare(sim.store, path) == []
