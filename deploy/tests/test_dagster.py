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
    for team in sim.store.teams:
        # A team partition's assets are its own resources: nothing workspace-wide.
        assert dagster.AssetKey(["asana", f"team_{team}", "tasks"]) in keys
        assert dagster.AssetKey(["asana", f"team_{team}", "users"]) not in keys
    assert MODELS_KEY in keys

    result = dagster.materialize(assets)
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == keys
    assert_partitions_synced_and_models_built(sim, path)

    # Again: incremental, still equal.
    assert dagster.materialize(assets).success
    assert compare(sim.store, path) == []


def test_partitions_run_at_once_in_their_own_processes_into_postgres(simulated, tmp_path, monkeypatch):
    """The job under Dagster's multiprocess executor: every partition in a process of its own, at
    the same time, into one PostgreSQL database (loads take turns under the advisory lock); the
    union equals the ground truth and the models are built once, after all of them."""
    import dagster
    from pg import postgres_server, raw_tables_into_duckdb
    from truth import compare, compare_coverage

    from deploy.dagster_defs import partitions_job
    from deploy.tests.conftest import partition_names
    from pipelines.warehouse.destination import Destination

    sim, _ = simulated
    with postgres_server() as server:
        if server is None:
            pytest.skip("no PostgreSQL server")
        with server.database() as db:
            monkeypatch.setenv("ASANA_SYNC_DESTINATION", "postgres")
            monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", server.dsn(db))
            with dagster.instance_for_test() as instance:
                result = dagster.execute_job(dagster.reconstructable(partitions_job), instance=instance)
                assert result.success
                steps = {}
                for entry in instance.all_logs(result.run_id):
                    event = entry.dagster_event
                    if event is not None and event.event_type_value in ("STEP_START", "STEP_SUCCESS"):
                        steps.setdefault(event.step_key, {})[event.event_type_value] = (event.pid, entry.timestamp)
            partition_steps = {key: value for key, value in steps.items() if "models" not in key}
            assert len(partition_steps) == len(partition_names(sim))
            # Each partition in a process of its own, and at least two of them running at the same time.
            assert len({value["STEP_START"][0] for value in partition_steps.values()}) == len(partition_steps)
            spans = sorted((v["STEP_START"][1], v["STEP_SUCCESS"][1]) for v in partition_steps.values())
            assert any(later_start < earlier_end for (_, earlier_end), (later_start, _) in zip(spans, spans[1:])), spans
            models = next(value for key, value in steps.items() if "models" in key)
            assert models["STEP_START"][1] >= max(end for _, end in spans)

            copy = raw_tables_into_duckdb(Destination.parse("postgres"), tmp_path / "from-postgres.duckdb")
            assert compare(sim.store, copy) == []
            assert compare_coverage(sim.store, copy) == []
