"""`asana-sync status --json` (health document and exit codes a monitor alerts on) and
`--log-format json` (one JSON event per line for log shippers), against the simulator over HTTP and
real DuckDB files."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import assert_clean_failure, env_for, run_cli, sync

from pipelines.errors import SyncError

from pipelines.sync.run import run_lock

from pipelines.warehouse.destination import Destination
from pipelines.commands.status import next_reconciliation


def _status(tmp_path):
    proc = run_cli(["status", "--json"], tmp_path, {"ASANA_SYNC_HOME": str(tmp_path / "asana-sync-home")})
    assert "Traceback" not in proc.stderr
    return proc, json.loads(proc.stdout)


def test_healthy_warehouse(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=12))
    with serve_in_thread(sim, port=0) as base_url:
        result = sync(sim, base_url, tmp_path)
    proc, doc = _status(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert doc["healthy"] is True and doc["exit_code"] == 0
    last = doc["last_run"]
    assert last["outcome"] == "ok" and last["requests"] == result.requests and last["rows"] == result.total_rows
    assert last["throttled"] == 0 and last["gaps"] == 0
    started = datetime.fromisoformat(last["started_at"].replace("Z", "+00:00"))
    ended = datetime.fromisoformat(last["ended_at"].replace("Z", "+00:00"))
    assert abs((ended - started).total_seconds() - last["seconds"]) < 0.01
    assert doc["tables"]["tasks"] == len(sim.store.tasks)
    assert not any(name.startswith("_dlt") for name in doc["tables"])
    assert len(doc["cursors"]["projects"]) == len(sim.store.projects)
    assert doc["cursors"]["last_reconciled_at"]
    assert doc["open_gaps"] == []
    assert doc["next_reconciliation"]["due"] == "next run"  # a small warehouse reconciles every run
    assert "sim-token" not in proc.stdout + proc.stderr
    assert doc["in_progress"] is False
    lock = run_lock(Destination.parse("duckdb", str(tmp_path / "asana.duckdb"))).acquire()
    try:
        proc, doc = _status(tmp_path)  # a run between its writes: still readable, and said
    finally:
        lock.release()
    assert proc.returncode == 0 and doc["in_progress"] is True and doc["run_info"]["pid"] > 0
    assert doc["last_run"]["outcome"] == "ok"


def test_failed_requests_then_recovery(tmp_path):
    """A workspace answering 401 mid-run: the run records a failed gap (exit 5) and status says so;
    the next complete run closes it."""
    probe = AsanaSimulator(SimConfig.small(seed=13))
    personal = next(g for g, w in probe.store.workspaces.items() if not w.get("is_organization"))
    broken = AsanaSimulator(SimConfig.small(seed=13, disabled_workspaces=(personal,)))
    with serve_in_thread(broken, port=0) as base_url:
        result = sync(broken, base_url, tmp_path)
    assert any(g["kind"] == "failed" for g in result.gaps)
    proc, doc = _status(tmp_path)
    assert proc.returncode == 5 and doc["exit_code"] == 5 and doc["healthy"] is False
    assert doc["last_run"]["outcome"] == "failures"
    assert doc["open_gaps"] and {g["kind"] for g in doc["open_gaps"]} == {"failed"}
    assert any(personal in g["endpoint"] for g in doc["open_gaps"])
    with serve_in_thread(probe, port=0) as base_url:
        sync(probe, base_url, tmp_path)
    proc, doc = _status(tmp_path)
    assert proc.returncode == 0 and doc["open_gaps"] == [] and doc["last_run"]["outcome"] == "ok"
    assert [r["outcome"] for r in doc["runs"]] == ["ok", "failures"]


def test_truncation_gaps_exit_6(tmp_path):
    sim = AsanaSimulator(SimConfig.truncation(premium=False))
    with serve_in_thread(sim, port=0) as base_url:
        result = sync(sim, base_url, tmp_path)
    assert result.gaps
    proc, doc = _status(tmp_path)
    assert proc.returncode == 6 and doc["healthy"] is False
    assert len(doc["open_gaps"]) == len(result.gaps) and {g["kind"] for g in doc["open_gaps"]} == {"truncated"}


def test_last_run_failed_gives_its_exit_code(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=14))
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path)
        with pytest.raises(SyncError):
            sync(sim, base_url, tmp_path, access_token="revoked-token")
    proc, doc = _status(tmp_path)
    assert proc.returncode == 3 and doc["last_run"]["outcome"] == "failed" and doc["last_run"]["exit_code"] == 3
    assert "revoked-token" not in proc.stdout + proc.stderr


def test_no_warehouse_exits_7_with_a_json_document(tmp_path):
    proc = run_cli(["status", "--json", "--duckdb-path", "missing.duckdb"], tmp_path)
    assert_clean_failure(proc, 7, "no warehouse")
    assert json.loads(proc.stdout) == {"healthy": False, "exit_code": 7, "reason": proc.stderr.split("error: ", 1)[1]
                                       .strip()}


def test_next_reconciliation():
    now = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    last = (now - timedelta(hours=3)).isoformat()
    auto, never = ("auto", 50_000, 24.0), ("never", 50_000, 24.0)

    def plan(live, state, options=auto):
        return next_reconciliation(live, state, now, options=options)

    big = plan(80_000, {"last_reconciled_at": last, "project_cursors": {"1": "x"}})
    assert big["due"] == "first run after due_at" and big["due_at"] == "2026-06-02T09:00:00Z"
    overdue = plan(80_000, {"last_reconciled_at": (now - timedelta(days=2)).isoformat(), "project_cursors": {"1": "x"}})
    assert overdue["due"] == "next run"
    assert plan(10, {"last_reconciled_at": last}, never)["due"] == "never"
    assert plan(10, {"last_reconciled_at": last})["due"] == "next run"
    assert plan(500, {"project_cursors": {"1": "x"}})["due"] == "after the first sync"
    # The schedule is configurable: a smaller threshold and a shorter interval.
    hourly = plan(80, {"last_reconciled_at": last, "project_cursors": {"1": "x"}}, ("auto", 50, 1.0))
    assert hourly["due"] == "next run" and "more than 1 h" in hourly["reason"]


def test_log_format_json_run(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=15))
    with serve_in_thread(sim, port=0) as base_url:
        env = {**env_for(base_url), "ASANA_SYNC_PROGRESS_SECONDS": "0.3"}
        proc = run_cli(["--log-format", "json", "run"], tmp_path, env)
        assert proc.returncode == 0, proc.stderr
        events = [json.loads(line) for line in proc.stderr.splitlines()]  # every line is one JSON event
        bad = run_cli(["run"], tmp_path, {**env_for(base_url, token="revoked-secret"),
                                          "ASANA_SYNC_LOG_FORMAT": "json"})
    assert proc.stdout == ""
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "finished" and "progress" in kinds
    phases = [e["phase"] for e in events if e["event"] == "phase"]
    assert phases[0] == "extract" and {"normalize", "load", "models"} <= set(phases)
    assert any(p.startswith("extract (tasks of") for p in phases)
    for event in events:
        assert event["command"] == "run" and event["ts"].endswith("Z")
        # every event names the run, its partition and its destination, the timer's ticks included
        assert event["run_id"] == events[0]["run_id"] and event["partition"] is None
        assert event["destination"] == str(tmp_path / "asana.duckdb")
    ticks = [e for e in events if e["event"] in ("phase", "progress")]
    assert all({"elapsed_seconds", "requests", "throttled", "concurrency"} <= set(e) for e in ticks)
    finished = events[-1]
    assert finished["requests"] > 0 and finished["rows_per_table"]["tasks"] > 0 and finished["gaps"] == 0
    assert "sim-token" not in proc.stdout + proc.stderr
    # a failure: the `error:` line of the CLI contract, and the same as an event
    assert_clean_failure(bad, 3, "rejected the access token")
    errors = [json.loads(line) for line in bad.stderr.splitlines() if line.startswith("{")
              and json.loads(line)["event"] == "error"]
    assert len(errors) == 1 and errors[0]["exit_code"] == 3
    assert "revoked-secret" not in bad.stdout + bad.stderr


def test_health_counts_each_partitions_last_run():
    from pipelines.commands.status import health

    def run(partition, outcome, code=0):
        return {"sync_partition": partition, "outcome": outcome, "exit_code": code, "status": outcome}

    # Newest first: team:1 succeeded just now, but workspace:9's last run failed before it.
    runs = [run("team:1", "ok"), run("workspace:9", "failed", 3), run("team:1", "failed", 5)]
    verdict = health(runs, [])
    assert verdict["exit_code"] == 3 and "partition workspace:9" in verdict["reason"]
    # A partition that failed once and then succeeded is healthy.
    assert health([run("workspace:9", "ok"), run("workspace:9", "failed", 3)], [])["healthy"] is True
