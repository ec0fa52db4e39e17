"""An Airflow DAG running the asana-sync partitions in parallel, then the SQL models once.

Copy (or symlink) this file into Airflow's dags folder on workers where asana-sync is installed with
``pip install -c deploy/constraints.txt -e '.[deploy]'``; configure it with the environment described
in ``deploy/partitions.py`` (``ASANA_SYNC_PARTITIONS``, ``ASANA_SYNC_DESTINATION``, the token).

Built on dlt's Airflow helper: ``PipelineTasksGroup`` gives the task group, a fresh dlt data folder
per worker and the task logger, and ``add_run`` one task per partition pipeline (task id = the
partition's pipeline name). The task runs asana-sync's own ``run_sync`` rather than a bare
``pipeline.run``: that is what takes the partition's run lock, binds its state to the warehouse,
loads in checkpoint steps, serializes loads with the other partitions and records ``sync_runs``.
Airflow runs the partition tasks in parallel with any parallel executor (LocalExecutor, Celery, ...).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import pendulum
from dlt.helpers.airflow_helper import PipelineTasksGroup

from deploy.partitions import build_all_models, configured_partitions, spec_pipeline, sync_partition

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # pragma: no cover - Airflow 2
    from airflow import DAG
    from airflow.operators.python import PythonOperator

DAG_ID = "asana_sync_partitions"


class AsanaPartitionTasks(PipelineTasksGroup):
    """``PipelineTasksGroup`` whose tasks call the partition's sync (``data``, a callable)."""

    def _run(self, pipeline: Any, data: Any, **_: Any) -> None:  # type: ignore[override]
        result = data()
        print(f"{pipeline.pipeline_name}: {result.requests} requests, {result.total_rows} rows, "
              f"{len(result.gaps)} gaps in {result.seconds:.1f}s")


def make_dag(partitions_text: str | None = None, schedule: Any = "@hourly") -> DAG:
    partitions = configured_partitions(partitions_text)
    with DAG(DAG_ID, schedule=schedule, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
             max_active_runs=1, default_args={"retries": 0}, tags=["asana-sync"]) as dag:
        group = AsanaPartitionTasks("asana_partitions", use_data_folder=False, wipe_local_data=True,
                                    use_task_logger=True)
        for partition in partitions:
            # Created after the group so that it lives in the group's data folder (the helper checks).
            group.add_run(spec_pipeline(partition), functools.partial(sync_partition, partition), decompose="none")
        models = PythonOperator(task_id="build_models", python_callable=lambda: len(build_all_models()))
        group >> models
    return dag


# Airflow finds the DAG at module level; without ASANA_SYNC_PARTITIONS there is nothing to run.
dag = make_dag() if os.environ.get("ASANA_SYNC_PARTITIONS") else None
