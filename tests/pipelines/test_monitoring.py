"""Monitoring that never lies: every run is recorded whatever its end (a warehouse held by another
process, SIGKILL, Ctrl-C: see also test_exit_codes.py), `status` weighs every partition's last run,
an unfinished first sync and the age of the last success, JSON logs carry the run's identity even
with --quiet, piped output is never cut, one workspace partition has one identity, and the small
defects an operator meets (full refresh, export during a run, export of a write, rows stored)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import CLI, assert_clean_failure, cli_env, env_for, held_open, run_cli, sync

from pipelines.commands.status import status_report
from pipelines.sync.partitions import Partition
from pipelines.sync.run import run_lock, run_sync
from pipelines.warehouse.destination import Destination, PartitionKey


@pytest.fixture(scope="module")
def served():
    sim = AsanaSimulator(SimConfig.small(seed=31))
    with serve_in_thread(sim, port=0) as base_url:
        yield sim, base_url


def _env(base_url: str, home: Path, **extra: str) -> dict:
    """The CLI's environment; ``home`` is the test's ASANA_SYNC_HOME (conftest: tmp_path/asana-sync-home),
    so library calls in the test see the same working state and journal."""
    return {**env_for(base_url), "ASANA_SYNC_HOME": str(home), **extra}


def _status(cwd: Path, env: dict, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    proc = run_cli(["status", "--json", *args], cwd, env)
    assert "Traceback" not in proc.stderr
    return proc, json.loads(proc.stdout)


def _runs(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select outcome, exit_code, run_id from asana_raw.sync_runs "
                           "order by coalesce(ended_at, started_at)").fetchall()


def test_a_run_refused_by_a_locked_warehouse_leaves_status_unhealthy_until_a_run_succeeds(served, tmp_path):
    sim, base_url = served
    env = _env(base_url, tmp_path / "asana-sync-home")
    assert run_cli(["run", "--no-models", "-q"], tmp_path, env).returncode == 0
    with held_open(tmp_path / "asana.duckdb"):
        refused = run_cli(["run", "--no-models"], tmp_path, env)
        assert_clean_failure(refused, 7, "locked by another process")
        proc, doc = _status(tmp_path, env)  # status cannot read it either: says why, exit 7
        assert proc.returncode == 7 and doc["healthy"] is False and "locked" in doc["reason"]
    proc, doc = _status(tmp_path, env)  # released: the refused run is known from this machine's journal
    assert proc.returncode == 7 and doc["healthy"] is False, doc["reason"]
    assert "the last run failed (exit 7)" in doc["reason"] and "locked by another process" in doc["reason"]
    assert doc["last_run"]["outcome"] == "failed" and doc["last_run"]["in_warehouse"] is False
    assert run_cli(["run", "--no-models", "-q"], tmp_path, env).returncode == 0
    proc, doc = _status(tmp_path, env)
    assert proc.returncode == 0 and doc["healthy"] is True
    # and the refused run is in the warehouse now, between the two successes
    assert [(o, c) for o, c, _ in _runs(tmp_path / "asana.duckdb")] == [("ok", 0), ("failed", 7), ("ok", 0)]


def test_a_killed_run_is_found_by_status_and_recorded_by_the_next_run(served, tmp_path):
    sim, base_url = served
    env = cli_env(_env(base_url, tmp_path / "asana-sync-home", ASANA_SYNC_CHECKPOINT_SECONDS="0"))
    proc = subprocess.Popen(CLI + ["--log-format", "json", "run", "--no-models"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    run_id = None
    for line in proc.stderr:  # killed once its first step is loaded: a first sync a quarter done
        event = json.loads(line)
        run_id = event.get("run_id", run_id)
        if event["event"] == "phase" and event["phase"].startswith("extract (tasks of"):
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    status, doc = _status(tmp_path, env)
    assert status.returncode == 137 and doc["healthy"] is False, doc
    assert doc["last_run"]["outcome"] == "killed" and doc["last_run"]["run_id"] == run_id
    assert "killed" in doc["reason"]
    assert run_cli(["run", "--no-models", "-q"], tmp_path, env).returncode == 0
    assert [(o, c, r) for o, c, r in _runs(tmp_path / "asana.duckdb")][:1] == [("killed", 137, run_id)]
    assert _status(tmp_path, env)[0].returncode == 0


def test_an_unfinished_first_sync_is_unhealthy(served, tmp_path):
    """A first sync stopped midway (its steps loaded, its end never recorded because the journal was
    lost with the machine) is still seen: the tasks' state says the first sync is not finished."""
    sim, base_url = served
    env = cli_env(_env(base_url, tmp_path / "asana-sync-home", ASANA_SYNC_CHECKPOINT_SECONDS="0"))
    proc = subprocess.Popen(CLI + ["--log-format", "json", "run", "--no-models"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        event = json.loads(line)
        if event["event"] == "phase" and event["phase"].startswith("extract (tasks of 3/"):
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    shutil.rmtree(tmp_path / "asana-sync-home" / "journal")
    status, doc = _status(tmp_path, env)
    assert status.returncode == 11 and "first sync has not finished" in doc["reason"], doc


def test_a_stale_last_success_is_unhealthy(served, tmp_path):
    sim, base_url = served
    env = _env(base_url, tmp_path / "asana-sync-home")
    assert run_cli(["run", "--no-models", "-q"], tmp_path, env).returncode == 0
    destination = Destination.parse("duckdb", str(tmp_path / "asana.duckdb"))
    later = datetime.now(timezone.utc) + timedelta(hours=3)
    assert status_report(destination, now=later, max_age=timedelta(hours=4))["exit_code"] == 0
    stale = status_report(destination, now=later, max_age=timedelta(hours=2))
    assert stale["exit_code"] == 10 and "longer than --max-age 2h" in stale["reason"]
    # the flag and the configuration: a limit every past run exceeds
    proc, doc = _status(tmp_path, env, "--max-age", "0.001")
    assert proc.returncode == 10 and doc["healthy"] is False
    proc, doc = _status(tmp_path, {**env, "STATUS__MAX_AGE": "0.001s"})
    assert proc.returncode == 10
    bad = run_cli(["status", "--max-age", "soon"], tmp_path, env)
    assert bad.returncode == 2 and "not a duration" in bad.stderr


def test_json_logs_name_the_run_on_every_event_and_finish_even_when_quiet(served, tmp_path):
    sim, base_url = served
    env = _env(base_url, tmp_path / "asana-sync-home", ASANA_SYNC_PROGRESS_SECONDS="0.3")
    proc = run_cli(["--log-format", "json", "run", "--quiet", "--no-models"], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stderr.splitlines()]
    finished = [e for e in events if e["event"] == "finished"]
    assert len(finished) == 1 and finished[0]["outcome"] == "ok" and finished[0]["exit_code"] == 0
    assert finished[0]["rows_stored"] == finished[0]["rows"] - finished[0]["markers"] > 0
    run_ids = {e.get("run_id") for e in events}
    assert len(run_ids) == 1 and None not in run_ids
    assert all(e["destination"] == str(tmp_path / "asana.duckdb") and e["partition"] is None for e in events)
    with duckdb.connect(str(tmp_path / "asana.duckdb"), read_only=True) as con:
        assert con.execute("select run_id, rows - markers from asana_raw.sync_runs").fetchall() == [
            (run_ids.pop(), finished[0]["rows_stored"])]
        stories = con.execute("select count(*) from asana_raw.stories").fetchone()[0]
    assert finished[0]["rows_per_table"]["stories"] - finished[0]["markers_per_table"]["stories"] == stories


def test_piped_output_is_never_cut_at_80_columns(served, tmp_path):
    sim, base_url = served
    proc = run_cli(["check"], tmp_path, _env(base_url, tmp_path / "asana-sync-home"))
    assert proc.returncode == 0, proc.stderr
    header = next(line for line in proc.stdout.splitlines() if "workspace" in line and "premium" in line)
    assert "…" not in proc.stdout and "~requests" in header
    assert all(len(line) > 80 for line in proc.stdout.splitlines() if line.startswith("how:"))


def test_a_workspace_partition_has_one_identity_by_name_or_gid(served, tmp_path):
    """Named by its workspace's name or by its gid, a partition has one state, one lock and one run
    history; a state kept under the name by an earlier version is adopted, not read again."""
    sim, base_url = served
    personal = next(w for w in sim.store.workspaces.values() if not w.get("is_organization"))
    name, gid = personal["name"], personal["gid"]
    env = _env(base_url, tmp_path / "asana-sync-home")
    path = tmp_path / "asana.duckdb"
    # an earlier version keyed the partition by the name it was given
    legacy = Destination.parse("duckdb", str(path))
    legacy.partition = PartitionKey("workspace", name)
    run_sync(legacy, source_options={"access_token": "sim-token", "base_url": base_url, "workspaces": [name],
                                     "requests_per_minute": 100_000})
    first = sim.stats.requests
    by_name = run_cli(["run", "--partition", f"workspace:{name}", "--partitions", "1"], tmp_path, env)
    assert by_name.returncode == 0, by_name.stderr
    assert "its cursors carry over" in by_name.stderr
    adopted = sim.stats.requests - first
    by_gid = run_cli(["run", "--partition", f"workspace:{gid}"], tmp_path, env)
    assert by_gid.returncode == 0, by_gid.stderr
    assert "carry over" not in by_gid.stderr
    with duckdb.connect(str(path), read_only=True) as con:
        partitions = {p for (p,) in con.execute("select distinct sync_partition from asana_raw.sync_runs").fetchall()}
    assert partitions == {f"workspace:{gid}"}
    proc, doc = _status(tmp_path, env, "--partition", f"workspace:{name}")
    assert proc.returncode == 0 and len(doc["runs"]) == 3 and doc["cursors"]["projects"], doc
    assert adopted < 0.5 * first  # not a full re-read
    bad = run_cli(["status", "--partition", "workspace:No Such Workspace"], tmp_path, env)
    assert_clean_failure(bad, 2, "no workspace named 'No Such Workspace'")


def test_full_refresh_keeps_the_run_history(served, tmp_path):
    sim, base_url = served
    env = _env(base_url, tmp_path / "asana-sync-home")
    for args in (["run"], ["run"], ["run", "--full-refresh"]):
        proc = run_cli(args + ["--no-models", "-q"], tmp_path, env)
        assert proc.returncode == 0, proc.stderr
    assert [o for o, _, _ in _runs(tmp_path / "asana.duckdb")] == ["ok", "ok", "ok"]


def test_export_during_a_run_says_so_and_refuses_writes(served, tmp_path):
    sim, base_url = served
    env = _env(base_url, tmp_path / "asana-sync-home")
    assert run_cli(["run", "--no-models", "-q"], tmp_path, env).returncode == 0
    lock = run_lock(Destination.parse("duckdb", str(tmp_path / "asana.duckdb"))).acquire()
    try:
        during = run_cli(["export", "--out", "out", "--table", "tasks"], tmp_path, env)
    finally:
        lock.release()
    assert during.returncode == 0, during.stderr
    assert "warning: a run is in progress" in during.stderr and "committed so far" in during.stderr
    write = run_cli(["export", "--out", "out", "--query", "delete from asana_raw.tasks"], tmp_path, env)
    assert_clean_failure(write, 2, "only read-only queries can be run or exported")
    assert (tmp_path / "out" / "asana_raw" / "tasks.parquet").exists()


def test_query_prints_a_table_or_machine_output_and_refuses_writes(served, tmp_path):
    sim, base_url = served
    env = _env(base_url, tmp_path / "asana-sync-home")
    assert run_cli(["run", "-q"], tmp_path, env).returncode == 0
    table = run_cli(["query", "select count(*) as tasks from asana_analytics.asana__task"], tmp_path, env)
    assert table.returncode == 0 and str(len(sim.store.tasks)) in table.stdout and "1 row(s)" in table.stdout
    as_json = run_cli(["query", "-f", "json", "select project_gid from asana__project order by project_gid"],
                      tmp_path, env)
    assert [json.loads(line)["project_gid"] for line in as_json.stdout.splitlines()] == sorted(sim.store.projects)
    as_csv = run_cli(["query", "-f", "csv", "select gid from tasks order by gid limit 2"], tmp_path, env)
    assert as_csv.stdout.splitlines()[0] == "gid" and len(as_csv.stdout.splitlines()) == 3
    assert_clean_failure(run_cli(["query", "drop table asana_raw.tasks"], tmp_path, env), 2, "read-only")
    assert_clean_failure(run_cli(["query", "select * from nowhere"], tmp_path, env), 2, "refused the query")
    assert_clean_failure(run_cli(["query", "select 1", "--duckdb-path", "missing.duckdb"], tmp_path, env), 7,
                         "no warehouse")


@pytest.mark.postgres
def test_status_names_a_postgres_destination_exactly_and_never_the_password(served, tmp_path, pg_server):
    sim, base_url = served
    with pg_server.database() as db:
        credentials = f"postgresql://{pg_server.user}:hunter2@{pg_server.host}:{pg_server.port}/{db}"
        env = _env(base_url, tmp_path / "asana-sync-home", DESTINATION__POSTGRES__CREDENTIALS=credentials)
        assert run_cli(["run", "-d", "postgres", "--no-models", "-q"], tmp_path, env).returncode == 0
        proc, doc = _status(tmp_path, env, "-d", "postgres")
        text = run_cli(["status", "-d", "postgres"], tmp_path, env)
    assert proc.returncode == 0 and doc["destination"] == f"PostgreSQL {pg_server.user}@{pg_server.host}:" \
                                                          f"{pg_server.port}/{db}"
    assert f"destination: PostgreSQL {pg_server.user}@" in text.stdout
    assert "hunter2" not in proc.stdout + proc.stderr + text.stdout + text.stderr


def test_partition_given_by_name_resolves_in_the_library_too(served, tmp_path):
    sim, base_url = served
    personal = next(w for w in sim.store.workspaces.values() if not w.get("is_organization"))
    partition = Partition.parse(f"workspace:{personal['name']}", f"team:1,workspace:{personal['name']}")
    assert partition.named
    destination = Destination.parse("duckdb", str(tmp_path / "asana.duckdb"))
    destination.partition = partition
    result = run_sync(destination, source_options={"access_token": "sim-token", "base_url": base_url,
                                                   "requests_per_minute": 100_000})
    assert result.outcome.name == "ok" and destination.partition.name == f"workspace:{personal['gid']}"
    assert destination.partition.siblings == ("team:1", f"workspace:{personal['gid']}")
