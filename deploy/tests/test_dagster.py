"""The Dagster assets (dagster-dlt, one multi-asset per partition) materialize against the simulator."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("dagster")
pytest.importorskip("dagster_dlt")


def test_assets_materialize_every_partition_then_the_models(simulated):
    import dagster
    from truth import compare

    from deploy.dagster_defs import MODELS_KEY, make_definitions
    from deploy.tests.conftest import assert_partitions_synced_and_models_built

    sim, path = simulated
    defs = make_definitions(os.environ["ASANA_SYNC_PARTITIONS"])
    assets = list(defs.assets)
    keys = {key for a in assets for key in getattr(a, "keys", [])}
    for workspace in sim.store.workspaces:
        assert dagster.AssetKey(["asana", f"workspace_{workspace}", "tasks"]) in keys
    assert MODELS_KEY in keys

    result = dagster.materialize(assets)
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == keys
    assert_partitions_synced_and_models_built(sim, path)

    # Again: incremental, still equal.
    assert dagster.materialize(assets).success
    assert compare(sim.store, path) == []
