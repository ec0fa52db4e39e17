"""Partitions: two workspace partitions synced at the same time by two processes into one warehouse.

Their union equals the simulator's ground truth; a second run of each is incremental and still equal
after changes (and a deletion) in both workspaces; each partition's state is its own."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import CLI, Api, cli_env, env_for
from pg import raw_tables_into_duckdb
from truth import compare, compare_coverage

from pipelines.sync.partitions import Partition
from pipelines.sync.run import run_sync
from pipelines.warehouse.destination import Destination
from pipelines.warehouse.runtime import make_pipeline
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


def _check_union(sim, path: Path) -> None:
    assert compare(sim.store, path) == []
    assert compare_coverage(sim.store, path) == []


# PostgreSQL in make soak only: make test-deploy (CI) runs partitions at once into PostgreSQL under
# Dagster's multiprocess executor, and make test keeps the DuckDB case (two processes, one file).
@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.soak)])
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
        return raw_tables_into_duckdb(destination, tmp_path / name) if engine == "postgres" else destination.duckdb_path

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
    with pytest.raises(SyncError):
        Partition.parse("workspace:12", "workspace:13,workspace:14")
    assert Partition.parse("workspace:12").pipeline_name == "asana_sync__workspace_12"


def test_cli_refuses_a_malformed_partition(tmp_path):
    from helpers import assert_clean_failure, run_cli

    proc = run_cli(["run", "--partition", "project:123", "--duckdb-path", str(tmp_path / "a.duckdb")], cwd=tmp_path,
                   env_extra={"SOURCES__ASANA__ACCESS_TOKEN": "x"})
    assert_clean_failure(proc, EXIT_CONFIG, "malformed partition")
    assert not (tmp_path / "a.duckdb").exists()


def test_team_partitions_beside_their_workspace_equal_the_ground_truth(tmp_path):
    """Each team of the organization has its own partition; the workspace partitions cover the rest
    (workspace-wide objects, tasks in no project, the personal workspace). Their union equals the
    ground truth, also after a rename, a deletion and a move of a task from one team's project to
    the other's; a team partition reads nothing workspace-wide."""
    sim = AsanaSimulator(SimConfig.small(seed=23))
    teams = sorted(sim.store.teams)
    assert len(teams) == 2
    partitions = [f"team:{t}" for t in teams] + [f"workspace:{w}" for w in _workspaces(sim)]
    every = ",".join(partitions)
    path = tmp_path / "asana.duckdb"
    destination = Destination.parse("duckdb", str(path))

    def run_all() -> None:
        # One DuckDB file takes one writer at a time: the partitions run one after another here
        # (test_two_partitions_at_once_equal_the_ground_truth runs them at once).
        for partition in partitions:
            proc = subprocess.run(CLI + ["run", "--partition", partition, "--partitions", every,
                                         "--duckdb-path", str(path), "--quiet"],
                                  cwd=tmp_path, env=cli_env(env), capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, (partition, proc.stdout, proc.stderr)

    with serve_in_thread(sim, port=0) as base_url:
        env = env_for(base_url)
        api = Api(base_url, sim.config.tokens[0])
        # A team partition alone reads its team's projects and nothing workspace-wide.
        proc = subprocess.run(CLI + ["run", "--partition", partitions[0], "--partitions", every,
                                     "--duckdb-path", str(tmp_path / "alone.duckdb"), "--quiet"],
                              cwd=tmp_path, env=cli_env(env), capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, (proc.stdout, proc.stderr)
        con = duckdb.connect(str(tmp_path / "alone.duckdb"), read_only=True)
        project_teams = {r[0] for r in con.execute("select distinct team_gid from asana_raw.projects").fetchall()}
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'asana_raw'").fetchall()}
        con.close()
        assert project_teams == {teams[0]}
        assert not {"users", "tags", "portfolios", "goals", "time_tracking_entries", "user_task_lists"} & tables

        run_all()
        _check_union(sim, path)
        assert {Partition.parse(p).pipeline_name for p in partitions} <= set(_states(destination))

        in_team = {t: sorted(g for g, task in sim.store.tasks.items() if not task.get("parent") and any(
            sim.store.projects[m["project"]].get("team") == t for m in task["memberships"]))
            for t in teams}
        moved, renamed, deleted = in_team[teams[0]][:3]
        target = next(p for p, project in sim.store.projects.items() if project.get("team") == teams[1])
        source_projects = [m["project"] for m in sim.store.tasks[moved]["memberships"]]
        api.call("POST", f"/tasks/{moved}/addProject", {"project": target})
        for project in source_projects:
            api.call("POST", f"/tasks/{moved}/removeProject", {"project": project})
        api.call("PUT", f"/tasks/{renamed}", {"name": "renamed in a team partition"})
        api.call("DELETE", f"/tasks/{deleted}")
        run_all()
        _check_union(sim, path)
        con = duckdb.connect(str(path), read_only=True)
        moved_row = con.execute("select is_deleted from asana_raw.tasks where gid = ?", [moved]).fetchone()
        assert moved_row[0] in (None, False)
        assert con.execute("select is_deleted from asana_raw.tasks where gid = ?", [deleted]).fetchone()[0]
        partitions_run = con.execute("select count(*), count(distinct sync_partition) from asana_raw.sync_runs"
                                     ).fetchone()
        con.close()
        assert partitions_run == (2 * len(partitions), len(partitions))

        # status --partition: that partition's runs and its own cursors; without it, every run.
        proc = subprocess.run(CLI + ["status", "--json", "--partition", partitions[0], "--duckdb-path", str(path)],
                              cwd=tmp_path, env=cli_env(env), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (proc.stdout, proc.stderr)
        report = json.loads(proc.stdout)
        assert {r["sync_partition"] for r in report["runs"]} == {partitions[0]} and len(report["runs"]) == 2
        team_projects = {p for p, project in sim.store.projects.items() if project.get("team") == teams[0]}
        assert report["cursors"]["projects"] and set(report["cursors"]["projects"]) <= team_projects
        assert report["healthy"] is True
        proc = subprocess.run(CLI + ["status", "--json", "--duckdb-path", str(path)],
                              cwd=tmp_path, env=cli_env(env), capture_output=True, text=True, timeout=120)
        assert {r["sync_partition"] for r in json.loads(proc.stdout)["runs"]} == set(partitions)


def test_team_partition_options():
    team = Partition.parse("team:301", "team:301,team:302,workspace:9")
    assert team.count == 3 and team.pipeline_name == "asana_sync__team_301"
    assert team.source_options({"requests_per_minute": 1500, "max_concurrency": 9}) == {
        "requests_per_minute": 500, "max_concurrency": 3, "search_requests_per_minute": 20, "teams": ["301"]}
    workspace = Partition.parse("workspace:9", "team:301,team:302,workspace:9")
    options = workspace.source_options({})
    assert options["workspaces"] == ["9"] and options["exclude_teams"] == ["301", "302"]
    # Told only a count, the workspace partition covers every team itself.
    assert "exclude_teams" not in Partition.parse("workspace:9", "3").source_options({})
    for bad in ("team:abc", "team:", "project:1"):
        with pytest.raises(SyncError):
            Partition.parse(bad)
    with pytest.raises(SyncError) as error:
        Partition.parse("team:1", "team:2,workspace:9")
    assert "does not name" in str(error.value)
    with pytest.raises(SyncError):
        Partition.parse("team:1").source_options({"teams": ["2"]})
