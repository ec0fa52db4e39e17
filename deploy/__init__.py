"""Orchestrating asana-sync partitions: a Dagster definition (dagster_defs.py) and an Airflow DAG
(airflow_dag.py), both over ``deploy.partitions``. Installed with ``pip install -e '.[deploy]'``."""
