"""What both orchestrators run: the configured partitions, one sync per partition, the models once.

Configuration (environment, read when a run starts; the definitions read only the partition list):

- ``ASANA_SYNC_PARTITIONS``: the partitions, comma-separated: ``workspace:111,workspace:222``, or
  per team beside their workspace: ``team:301,team:302,workspace:111`` (the workspace partition
  covers everything the team partitions do not).
  They run at the same time, so each takes 1/N of the token's rate limit and concurrency
  (``SOURCES__ASANA__REQUESTS_PER_MINUTE`` / ``SOURCES__ASANA__MAX_CONCURRENCY`` are the token's
  whole budget; see pipelines/sync/partitions.py).
- ``ASANA_SYNC_DESTINATION``: ``postgres`` (partitions load concurrently; credentials the dlt way,
  ``DESTINATION__POSTGRES__CREDENTIALS``) or ``duckdb`` (partitions take turns on the file);
  ``ASANA_SYNC_DUCKDB_PATH`` names the DuckDB file (default ``asana.duckdb``).
- The token and options as for the CLI: ``SOURCES__ASANA__ACCESS_TOKEN``, ...
"""

from __future__ import annotations

import os
from typing import Any, Optional

import dlt

from pipelines.errors import SyncError
from pipelines.models.build import build_models
from pipelines.sync.outcome import FAILURES
from pipelines.sync.partitions import Partition
from pipelines.sync.run import SyncResult, run_lock, run_sync
from pipelines.warehouse.destination import DATASET, Destination


def configured_partitions(text: Optional[str] = None) -> list[Partition]:
    text = os.environ.get("ASANA_SYNC_PARTITIONS", "") if text is None else text
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError("set ASANA_SYNC_PARTITIONS, e.g. workspace:111,workspace:222")
    if len(set(names)) != len(names):
        raise ValueError(f"ASANA_SYNC_PARTITIONS names a partition twice: {text}")
    # Each partition is told the whole list: a workspace partition leaves the teams that have a
    # partition of their own to them.
    return [Partition.parse(name, count=",".join(names)) for name in names]


def destination_kind() -> str:
    return os.environ.get("ASANA_SYNC_DESTINATION", "duckdb").lower()


def destination(partition: Optional[Partition] = None) -> Destination:
    target = Destination.parse(destination_kind(), os.environ.get("ASANA_SYNC_DUCKDB_PATH"))
    target.partition = partition
    return target


def sync_partition(partition: Partition, resources: Optional[list[str]] = None) -> SyncResult:
    """One partition's run: its own state, cursors and lock; its share of the rate limit. Raises
    ``SyncError`` (with the CLI's exit code) when it fails, which fails the orchestrator's task; a run
    whose only problem is failed requests (exit 5) loaded everything else and fails the task too, so
    that it shows."""
    result = run_sync(destination(partition), resources=resources)
    if result.outcome.name == FAILURES:
        raise SyncError(f"partition {partition.name}: {result.outcome.reason}", result.outcome.exit_code)
    return result


def build_all_models() -> list:
    """The SQL models, once, after every partition has loaded (under the warehouse's run lock)."""
    target = destination()
    with run_lock(target, "models run"):
        return build_models(target)


def spec_pipeline(partition: Partition, pipelines_dir: Optional[str] = None) -> Any:
    """A dlt pipeline object describing a partition (name, destination type, dataset) for the
    orchestrators' definitions; it is never run and needs no credentials."""
    return dlt.pipeline(pipeline_name=partition.pipeline_name, destination=destination_kind(), dataset_name=DATASET,
                        pipelines_dir=pipelines_dir)
