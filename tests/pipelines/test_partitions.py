"""Partitions: two workspace partitions synced at the same time by two processes into one warehouse.

Their union equals the simulator's ground truth; a second run of each is incremental and still equal
after changes (and a deletion) in both workspaces; each partition's state is its own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import CLI, Api, cli_env, env_for
from truth import compare, compare_coverage

from pipelines.partitions import Partition
from pipelines.pipeline import Destination, make_pipeline, run_sync
from pipelines.errors import EXIT_CONFIG, SyncError


def _workspaces(sim) -> list[str]:
    return sorted(sim.store.workspaces)


def _run_concurrently(partitions: list[str], args: list[str], env: dict, cwd: Path) -> list:
    procs = [subprocess.Popen(CLI + ["run", "--partition", p, "--partitions", str(len(partitions)), *args],
                              cwd=cwd, env=cli_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in partitions]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    for result in results:
        assert result.returncode == 0, (result.stdout, result.stderr)
    return results


def _change_both_workspaces(sim, base_url: str) -> dict:
    """A rename and a deletion in each workspace, through the API."""
    api = Api(base_url, sim.config.tokens[0])
    changed = {}
    for workspace in _workspaces(sim):
        tasks = sorted(g for g, t in sim.store.tasks.items() if t["workspace"] == workspace and not t.get("parent"))
        api.call("PUT", f"/tasks/{tasks[0]}", {"name": f"renamed in {workspace}"})
        api.call("DELETE", f"/tasks/{tasks[1]}")
        changed[workspace] = (tasks[0], tasks[1])
    return changed


def _states(destination: Destination) -> dict:
    """Each partition's pipeline state as stored in the warehouse: {pipeline name: version hash}."""
    with make_pipeline(destination, read_only=True).sql_client() as client:
        table = client.make_qualified_table_name("_dlt_pipeline_state")
        rows = client.execute_sql(f"select pipeline_name, version_hash, version from {table}")
    latest: dict = {}
    for name, version_hash, version in rows:
        if name not in latest or version > latest[name][1]:
            latest[name] = (version_hash, version)
    return {name: value[0] for name, value in latest.items()}


def _pg_to_duckdb(destination: Destination, path: Path) -> Path:
    """The PostgreSQL warehouse's raw tables copied into a DuckDB file, for the ground truth checks."""
    con = duckdb.connect(str(path))
    con.execute("create schema asana_raw")
    with make_pipeline(destination).sql_client() as client:
        tables = [r[0] for r in client.execute_sql(
            "select table_name from information_schema.tables where table_schema = 'asana_raw'")]
        for table in tables:
            with client.execute_query(f"select * from asana_raw.{table}") as cursor:
                names = [d[0] for d in cursor.description]
                data = [dict(zip(names, r)) for r in cursor.fetchall()]
            arrow = pa.Table.from_pylist(data) if data else pa.table({n: pa.array([], pa.string()) for n in names})
            con.register("incoming", arrow)
            con.execute(f'create table asana_raw."{table}" as select * from incoming')
            con.unregister("incoming")
    con.close()
    return path


def _check_union(sim, path: Path) -> None:
    assert compare(sim.store, path) == []
    assert compare_coverage(sim.store, path) == []


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_two_partitions_at_once_equal_the_ground_truth(engine, request, tmp_path, monkeypatch):
    sim = AsanaSimulator(SimConfig.small(seed=23))
    workspaces = _workspaces(sim)
    assert len(workspaces) == 2
    partitions = [f"workspace:{w}" for w in workspaces]
    env = {}
    if engine == "postgres":
        pg_server = request.getfixturevalue("pg_server")
        database = pg_server.database()
        db = database.__enter__()
        request.addfinalizer(lambda: database.__exit__(None, None, None))
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", pg_server.dsn(db))
        env["DESTINATION__POSTGRES__CREDENTIALS"] = pg_server.dsn(db)
        args = ["--destination", "postgres", "--quiet"]
        destination = Destination.parse("postgres")
    else:
        args = ["--duckdb-path", str(tmp_path / "asana.duckdb"), "--quiet"]
        destination = Destination.parse("duckdb", str(tmp_path / "asana.duckdb"))

    def truth_path(name: str) -> Path:
        return _pg_to_duckdb(destination, tmp_path / name) if engine == "postgres" else destination.duckdb_path

    with serve_in_thread(sim, port=0) as base_url:
        env.update(env_for(base_url))
        _run_concurrently(partitions, args, env, tmp_path)
        _check_union(sim, truth_path("first.duckdb"))
        states = _states(destination)
        names = {Partition.parse(p).pipeline_name for p in partitions}
        assert names <= set(states)

        with make_pipeline(destination, read_only=True).sql_client() as client:
            runs = client.execute_sql(f"select sync_partition, requests, started_at, seconds from "
                                      f"{client.make_qualified_table_name('sync_runs')}")
        assert sorted(r[0] for r in runs) == sorted(partitions)
        first_requests = {p: r for p, r, _, _ in runs}
        if engine == "duckdb":
            # One DuckDB file, one writer process: the partitions' runs did not overlap.
            (_, _, start_a, seconds_a), (_, _, start_b, _) = sorted(runs, key=lambda r: r[2])
            assert (start_b - start_a).total_seconds() >= seconds_a - 0.5, runs

        _change_both_workspaces(sim, base_url)
        _run_concurrently(partitions, args, env, tmp_path)
        _check_union(sim, truth_path("second.duckdb"))
        with make_pipeline(destination, read_only=True).sql_client() as client:
            runs = client.execute_sql(f"select sync_partition, requests, rows from "
                                      f"{client.make_qualified_table_name('sync_runs')} order by started_at")
        assert len(runs) == 4
        for partition, requests, rows in runs[2:]:
            # Incremental: fewer requests than the partition's first sync.
            assert requests < first_requests[partition], runs

        # One partition's run leaves the other's state alone.
        before = _states(destination)
        _run_concurrently(partitions[:1], args, env, tmp_path)
        after = _states(destination)
        other = Partition.parse(partitions[1]).pipeline_name
        assert after[other] == before[other]
        _check_union(sim, truth_path("third.duckdb"))


def test_a_partition_refuses_full_refresh_and_a_workspace(tmp_path):
    destination = Destination.parse("duckdb", str(tmp_path / "asana.duckdb"))
    destination.partition = Partition.parse("workspace:1")
    with pytest.raises(SyncError) as error:
        run_sync(destination, full_refresh=True, source_options={"access_token": "x"})
    assert error.value.exit_code == EXIT_CONFIG and "full-refresh" in str(error.value)
    with pytest.raises(SyncError) as error:
        run_sync(destination, workspaces=["2"], source_options={"access_token": "x"})
    assert error.value.exit_code == EXIT_CONFIG


def test_partitions_share_the_rate_limit():
    partition = Partition.parse("workspace:123", count=3)
    options = partition.source_options({"requests_per_minute": 1500, "max_concurrency": 10})
    assert options == {"requests_per_minute": 500, "max_concurrency": 3, "search_requests_per_minute": 20,
                       "workspaces": ["123"]}
    # Defaults are the token's budget too.
    assert Partition.parse("workspace:1", 2).source_options({})["requests_per_minute"] == 750
    with pytest.raises(SyncError):
        Partition.parse("team")
    assert Partition.parse("workspace:12").pipeline_name == "asana_sync__workspace_12"


def test_cli_refuses_a_malformed_partition(tmp_path):
    from helpers import assert_clean_failure, run_cli

    proc = run_cli(["run", "--partition", "team:123", "--duckdb-path", str(tmp_path / "a.duckdb")], cwd=tmp_path,
                   env_extra={"SOURCES__ASANA__ACCESS_TOKEN": "x"})
    assert_clean_failure(proc, EXIT_CONFIG, "malformed partition")
    assert not (tmp_path / "a.duckdb").exists()
