"""Dagster definitions: one dagster-dlt multi-asset per asana-sync partition, and the SQL models
downstream of all of them.

Load with ``dagster dev -m deploy.dagster_defs`` on a machine where asana-sync is installed with
``pip install -c deploy/constraints.txt -e '.[deploy]'``; configure it with the environment described
in ``deploy/partitions.py`` (``ASANA_SYNC_PARTITIONS``, ``ASANA_SYNC_DESTINATION``, the token).

The assets come from ``dagster_dlt.dlt_assets``: one asset per resource of the asana source, keyed
``asana/<partition>/<resource>`` so partitions never share a key. Materializing them runs
asana-sync's ``run_sync`` for the partition (not ``DagsterDltResource.run``, a bare ``pipeline.run``):
that is what takes the partition's run lock, binds its state to the warehouse, loads in checkpoint
steps, serializes loads with the other partitions and records ``sync_runs``. Selecting a subset of a
partition's assets syncs only those resources. Dagster's default multiprocess executor runs the
partitions in parallel.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation as a type.

import os
import tempfile
from typing import Any, Iterator, Optional

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    Definitions,
    MaterializeResult,
    asset,
    define_asset_job,
)
from dagster_dlt import DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from deploy.partitions import build_all_models, configured_partitions, spec_pipeline, sync_partition
from pipelines.sync.partitions import Partition
from sources.asana import asana_source

# The source instance the asset specs are read from; it makes no request.
_SPEC_TOKEN = "asset-definitions-only"
MODELS_KEY = AssetKey(["asana", "models"])
JOB_NAME = "asana_sync_all"


def slug(partition: Partition) -> str:
    return partition.pipeline_name.removeprefix("asana_sync__")


class PartitionTranslator(DagsterDltTranslator):
    """Asset keys per partition: ``asana/<kind>_<gid>/<resource>``, grouped per partition."""

    def __init__(self, partition: Partition) -> None:
        self.partition = partition

    def get_asset_spec(self, data: DltResourceTranslatorData) -> Any:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(key=AssetKey(["asana", slug(self.partition), data.resource.name]),
                                       group_name=f"asana_{slug(self.partition)}", deps=[])


def partition_assets(partition: Partition, pipelines_dir: Optional[str] = None) -> Any:
    # The partition's own resources: a team partition has none of the workspace-wide ones.
    source = asana_source(access_token=_SPEC_TOKEN, **partition.scope())
    everything = set(source.resources)

    @dlt_assets(dlt_source=source, dlt_pipeline=spec_pipeline(partition, pipelines_dir), name=slug(partition),
                dagster_dlt_translator=PartitionTranslator(partition), op_tags={"asana_sync/partition": partition.name})
    def _assets(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        selected = {key.path[-1]: key for key in context.selected_asset_keys}
        result = sync_partition(partition, resources=None if set(selected) >= everything else sorted(selected))
        context.log.info(f"{partition.name}: {result.requests} requests, {result.total_rows} rows, "
                         f"{len(result.gaps)} gaps in {result.seconds:.1f}s")
        for name, key in selected.items():
            yield MaterializeResult(asset_key=key, metadata={
                "partition": partition.name, "rows_written": result.rows.get(name, 0),
                "run_requests": result.requests, "run_gaps": len(result.gaps)})

    return _assets


def make_definitions(partitions_text: Optional[str] = None) -> Definitions:
    partitions = configured_partitions(partitions_text)
    pipelines_dir = tempfile.mkdtemp(prefix="asana-sync-dagster-specs-")
    assets = [partition_assets(p, pipelines_dir) for p in partitions]

    @asset(key=MODELS_KEY, deps=[key for a in assets for key in a.keys], group_name="asana_models")
    def models() -> MaterializeResult:
        """The SQL models (schema asana_analytics), built once after every partition has loaded."""
        built = build_all_models()
        return MaterializeResult(metadata={"models": len(built)})

    # Every partition and then the models, as one job (``dagster job execute -m deploy.dagster_defs -j
    # asana_sync_all``, or a schedule on it).
    return Definitions(assets=[*assets, models], jobs=[define_asset_job(JOB_NAME, selection=AssetSelection.all())])


def partitions_job() -> Any:
    """Every partition's assets and the models as one job. Run from a reconstructable job (``dagster
    job execute -m deploy.dagster_defs``, or ``dagster.execute_job(reconstructable(partitions_job),
    instance)``), Dagster's multiprocess executor gives each partition a process of its own and runs
    them at once; the models wait for all of them."""
    return make_definitions().resolve_job_def(JOB_NAME)


def _maybe_definitions() -> Optional[Definitions]:
    return make_definitions() if os.environ.get("ASANA_SYNC_PARTITIONS") else None


# ``dagster dev -m deploy.dagster_defs`` finds ``defs``; without ASANA_SYNC_PARTITIONS there is nothing to load.
defs = _maybe_definitions()
