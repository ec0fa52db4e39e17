"""Incremental runs through task search (premium workspaces): their cost tracks change, not size.

A run with nothing changed makes no request per project or per user; a run after changes finds
them all (subtasks and tasks in no project too) through one search per workspace. Deletions and
moves, which bump no ``modified_at``, wait for the next reconciliation, which restores equality.
"""

from __future__ import annotations

import time

from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import Api, sync
from truth import compare, warehouse
from weather import WEATHER

SEARCH = "GET /workspaces/{gid}/tasks/search"
NEVER = {"reconcile": "never"}


def requests_during(sim, run) -> dict[str, int]:
    """Requests per route template that ``run()`` made."""
    before = dict(sim.stats.by_path_kind)
    run()
    return {k: n - before.get(k, 0) for k, n in sim.stats.by_path_kind.items() if n > before.get(k, 0)}


def per_project_or_user(kinds: dict[str, int]) -> dict[str, int]:
    """Routes whose count grows with the number of projects or users."""
    return {k: n for k, n in kinds.items()
            if "/projects/{gid}/" in k or k in ("GET /events", "GET /tasks", "GET /users/{gid}/user_task_list")
            or "{task_gid}" in k}


def test_a_run_with_nothing_changed_costs_requests_per_workspace_not_per_project(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=21))
    with serve_in_thread(sim, port=0) as base_url:
        first = requests_during(sim, lambda: sync(sim, base_url, tmp_path, **NEVER))
        quiet = requests_during(sim, lambda: sync(sim, base_url, tmp_path, **NEVER))
        by_projects = requests_during(sim, lambda: sync(sim, base_url, tmp_path, incremental="projects", **NEVER))
    workspaces = len(sim.store.workspaces)
    assert quiet.get(SEARCH) == workspaces
    assert per_project_or_user(quiet) == {}
    assert sum(quiet.values()) < sum(by_projects.values()) - len(sim.store.projects), (quiet, by_projects)
    assert sum(quiet.values()) < sum(first.values()) / 5
    assert compare(sim.store, tmp_path / "asana.duckdb") == []


def test_search_finds_every_change_that_bumps_modified_at(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=22, **WEATHER))
    store = sim.store
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path, **NEVER)
        api = Api(base_url, sim.config.tokens[0])
        top = sorted(g for g, t in store.tasks.items() if t["parent"] is None and t["memberships"])
        subtask = next(g for g in sorted(store.tasks) if store.tasks[g]["parent"])
        org = next(w for w, ws in store.workspaces.items() if ws["is_organization"])
        someone = sorted(store.users)[0]
        api.call("PUT", f"/tasks/{top[0]}", {"name": "Renamed between runs"})
        api.call("PUT", f"/tasks/{subtask}", {"name": "Only this subtask changed"})
        api.call("POST", f"/tasks/{top[1]}/stories", {"text": "A comment between runs"})
        loose = api.call("POST", "/tasks", {"workspace": org, "assignee": someone, "name": "In no project"})["gid"]
        new_subtask = api.call("POST", f"/tasks/{top[2]}/subtasks", {"name": "A new subtask"})["gid"]
        kinds = requests_during(sim, lambda: sync(sim, base_url, tmp_path, **NEVER))
    assert compare(store, tmp_path / "asana.duckdb") == []
    assert not any(k == "GET /tasks" or k == "GET /events" for k in kinds), kinds
    con = warehouse(tmp_path / "asana.duckdb")
    found = {g for (g,) in con.execute("select gid from asana_raw.tasks where gid in (?, ?)", [loose, new_subtask]
                                       ).fetchall()}
    assert found == {loose, new_subtask}


def test_deletions_and_moves_wait_for_the_next_reconciliation(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=23, **WEATHER))
    store = sim.store
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path, **NEVER)
        api = Api(base_url, sim.config.tokens[0])
        top = sorted(g for g, t in store.tasks.items() if t["parent"] is None and t["memberships"])
        doomed = top[0]
        api.call("DELETE", f"/tasks/{doomed}")
        sync(sim, base_url, tmp_path, **NEVER)
        stale = compare(store, tmp_path / "asana.duckdb")
        sync(sim, base_url, tmp_path, reconcile="always")
    assert stale and all(doomed in problem for problem in stale), stale
    assert compare(store, tmp_path / "asana.duckdb") == []
    con = warehouse(tmp_path / "asana.duckdb")
    assert con.execute("select is_deleted from asana_raw.tasks where gid = ?", [doomed]).fetchone() == (True,)


def test_a_free_workspace_falls_back_to_project_listings(tmp_path):
    """Search answers 402 without premium: the run reads project by project and misses nothing."""
    sim = AsanaSimulator(SimConfig.small(seed=24, premium=False))
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path, **NEVER)
        api = Api(base_url, sim.config.tokens[0])
        top = sorted(g for g, t in sim.store.tasks.items() if t["parent"] is None and t["memberships"])
        api.call("PUT", f"/tasks/{top[0]}", {"name": "Renamed on a free plan"})
        api.call("DELETE", f"/tasks/{top[1]}")
        time.sleep(0.1)
        kinds = requests_during(sim, lambda: sync(sim, base_url, tmp_path, **NEVER))
    assert kinds.get("GET /tasks") and kinds.get("GET /events")
    assert compare(sim.store, tmp_path / "asana.duckdb") == []


def test_status_shows_the_reconciliation_schedule_and_its_cost(tmp_path, monkeypatch):
    """Configured like a big organization (reconcile once per interval): the first run reconciles,
    the next one searches, and status says when the next reconciliation is due and what the last cost."""
    from datetime import datetime, timedelta

    from pipelines.commands.status import sync_status

    from pipelines.warehouse.destination import Destination

    monkeypatch.setenv("SOURCES__ASANA__RECONCILE_BELOW_TASKS", "10")
    monkeypatch.setenv("SOURCES__ASANA__RECONCILE_INTERVAL_HOURS", "6")
    sim = AsanaSimulator(SimConfig.small(seed=25))
    with serve_in_thread(sim, port=0) as base_url:
        first = sync(sim, base_url, tmp_path)
        second = sync(sim, base_url, tmp_path)
    assert (first.task_discovery, second.task_discovery) == ("reconcile", "search")
    status = sync_status(Destination.parse("duckdb", str(tmp_path / "asana.duckdb")))
    plan = status["reconciliation"]
    assert plan["mode"] == "auto" and plan["due"] == "first run after due_at" and "every 6 h" in plan["reason"]
    assert plan["last_requests"] == first.requests
    last = datetime.fromisoformat(plan["last_reconciled_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(plan["due_at"].replace("Z", "+00:00")) == last + timedelta(hours=6)
    assert set(status["cursors"]["search"]) == set(sim.store.workspaces)
