"""A run never throws away finished work: killed midway, the next run resumes and repeats at most the
unfinished step; one object's failure is a gap, not the end of the run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import duckdb
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import CLI, ROOT, cli_env, env_for
from helpers import sync
from truth import compare

from pipelines.commands.status import sync_status

from pipelines.warehouse.destination import Destination


def _start_cli(cwd, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")}
    env.update({"PYTHONPATH": str(ROOT), **env_extra})
    return subprocess.Popen(CLI + ["run", "--no-models", "--quiet"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_first_sync_killed_at_60_percent_resumes_with_at_most_half_the_requests(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=13, n_projects=20, tasks_per_project=110))
    with serve_in_thread(sim, port=0) as base_url:
        (tmp_path / "reference").mkdir()
        reference = sync(sim, base_url, tmp_path / "reference")
        full = reference.requests
        env = {**env_for(base_url), "ASANA_SYNC_CHECKPOINT_SECONDS": "0"}
        before = sim.stats.requests
        proc = _start_cli(tmp_path, env)
        deadline = time.monotonic() + 120
        while sim.stats.requests - before < 0.6 * full and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
        resumed_from = sim.stats.requests
        kinds_before = dict(sim.stats.by_path_kind)
        # The runs after the kill take the default step size: a step's size changes what a kill
        # loses, not what a run requests, and 20 steps of a dlt load each cost seconds.
        env = env_for(base_url)
        rerun = subprocess.run(CLI + ["run", "--no-models", "--quiet"], cwd=tmp_path, capture_output=True, text=True,
                               env=cli_env(env), timeout=300)
        resumed = sim.stats.requests - resumed_from
        by_kind = {k: n - kinds_before.get(k, 0) for k, n in sim.stats.by_path_kind.items() if n > kinds_before.get(k, 0)}
        resumed_equal = compare(sim.store, tmp_path / "asana.duckdb")
        after = subprocess.run(CLI + ["run", "--no-models", "--quiet"], cwd=tmp_path, capture_output=True,
                               text=True, env=cli_env(env), timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert resumed_equal == []
    print(f"resume cost: {resumed} of a full first sync's {full} requests ({resumed / full:.2f})")
    assert resumed <= 0.5 * full, f"the resumed run made {resumed} requests; a full first sync makes {full}: {by_kind}"
    # The resumed first sync did not reconcile; the run after it does, as every run of a small organization.
    assert after.returncode == 0, after.stderr
    status = sync_status(Destination.parse("duckdb", str(tmp_path / "asana.duckdb")))
    assert status["cursors"]["last_reconciled_at"]


def test_a_failing_project_listing_is_a_gap_and_everything_else_loads(tmp_path):
    """Every request for one project's tasks fails (a 5xx storm): the run loads the rest, records
    the gap, exits 5, and the next run (the storm over) reads exactly what was missing."""
    sim = AsanaSimulator(SimConfig.small(seed=11))
    broken = sorted(sim.store.projects)[0]
    original = sim.handle

    def stormy(method, path, query, headers, body):
        if (query or {}).get("project") in (broken, [broken]):
            return 503, [("content-type", "application/json")], b'{"errors":[{"message":"Service Unavailable"}]}'
        return original(method, path, query, headers, body)

    with serve_in_thread(sim, port=0) as base_url:
        sim.handle = stormy
        # Two attempts rather than eight: the storm outlasts any number, and eight spend a minute waiting.
        env = {**env_for(base_url), "ASANA_SYNC_CHECKPOINT_SECONDS": "0", "SOURCES__ASANA__MAX_ATTEMPTS": "2"}
        cli_env = {**{k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")}, "PYTHONPATH": str(ROOT),
                   **env}
        failed = subprocess.run(CLI + ["run", "--no-models"], cwd=tmp_path, capture_output=True, text=True,
                                env=cli_env, timeout=300)
        problems = compare(sim.store, tmp_path / "asana.duckdb")
        with duckdb.connect(str(tmp_path / "asana.duckdb"), read_only=True) as con:
            loaded = {g for (g,) in con.execute("select gid from asana_raw.tasks").fetchall()}
            gaps = con.execute("select kind, endpoint, parameters from asana_raw.sync_gaps").fetchall()
        sim.handle = original
        # The storm over, the default step size: the gap is read again whatever the steps.
        healed = subprocess.run(CLI + ["run", "--no-models"], cwd=tmp_path, capture_output=True, text=True,
                                env={k: v for k, v in cli_env.items() if k != "ASANA_SYNC_CHECKPOINT_SECONDS"},
                                timeout=300)
    assert failed.returncode == 5, failed.stderr
    assert "failed after retries" in failed.stderr and "Traceback" not in failed.stderr
    missing = set(sim.store.tasks_in_project(broken))
    assert problems and all(p.startswith(("task", "stories")) for p in problems), problems
    only_there = {t for t in missing if set(sim.store.projects_of(t)) == {broken}}
    assert only_there and loaded and not only_there & loaded
    assert ("failed", "/tasks", f'{{"project": "{broken}"}}') in gaps
    assert healed.returncode == 0, healed.stderr
    assert compare(sim.store, tmp_path / "asana.duckdb") == []


PER_PROJECT = ("projects", "sections", "project_memberships", "project_statuses")


def test_long_listings_spread_over_checkpoint_steps_and_a_kill_between_them_loses_nothing(tmp_path):
    """Listings of one request per project stop taking projects when a step's time is up and go on
    in the next step, each step committed on its own: a run killed after the first of them resumes,
    and the warehouse holds every project's sections and members."""
    sim = AsanaSimulator(SimConfig.small(seed=17, n_projects=230, tasks_per_project=1, n_teams=3))
    args = CLI + ["--log-format", "json", "run", "--no-models"] + [f"--resource={r}" for r in PER_PROJECT]
    with serve_in_thread(sim, port=0) as base_url:
        env = cli_env({**env_for(base_url), "ASANA_SYNC_CHECKPOINT_SECONDS": "0"})
        proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        # Killed when the second continued step starts: the steps before it are loaded.
        continued = 0
        for line in proc.stderr:
            event = json.loads(line)
            continued += event["event"] == "phase" and event["phase"].startswith("extract (") \
                and "continued" in event["phase"]
            if continued == 2:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert continued == 2 and proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
        with duckdb.connect(str(tmp_path / "asana.duckdb"), read_only=True) as con:
            partial = {p for (p,) in con.execute("select distinct project_gid from asana_raw.sections").fetchall()}
        rerun = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert 100 <= len(partial) < len(sim.store.projects)  # the first step's projects were committed
    with duckdb.connect(str(tmp_path / "asana.duckdb"), read_only=True) as con:
        sections = set(con.execute("select gid, project_gid, name from asana_raw.sections").fetchall())
        members = set(con.execute("select project_gid, user_gid from asana_raw.project_memberships").fetchall())
    assert sections == {(g, s["project"], s["name"]) for g, s in sim.store.sections.items()}
    assert members == {(m["project"], m["user"]) for m in sim.store.project_memberships.values()}


def test_the_tasks_in_no_project_spread_over_final_steps(tmp_path):
    """Each user's task list (tasks in no project) is one request: with many users the final step
    goes on in further steps, and the run still ends equal to the simulator."""
    sim = AsanaSimulator(SimConfig.small(seed=19, n_projects=2, tasks_per_project=5, n_users=130))
    with serve_in_thread(sim, port=0) as base_url:
        env = cli_env({**env_for(base_url), "ASANA_SYNC_CHECKPOINT_SECONDS": "0"})
        done = subprocess.run(CLI + ["--log-format", "json", "run", "--no-models"], cwd=tmp_path,
                              capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    phases = [json.loads(line).get("phase") for line in done.stderr.splitlines()]
    assert "extract (tasks in no project, continued)" in phases
    assert compare(sim.store, tmp_path / "asana.duckdb") == []
