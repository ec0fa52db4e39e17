"""Asana truncates huge result sets (a 400 on a late page). The source splits such listings along the
hierarchy: a project per section, a section through the premium search API in created_at windows.
Whatever still cannot be read is recorded exactly, and the CLI exits 6 unless gaps are accepted."""

from __future__ import annotations

import json

from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from weather import WEATHER
from helpers import run_cli
from helpers import sync
from truth import compare, warehouse


def _project(store, name):
    return next(g for g, p in store.projects.items() if p["name"] == name)


def test_project_far_over_the_cap_loads_completely(tmp_path):
    sim = AsanaSimulator(SimConfig.truncation(seed=3, premium=True, **WEATHER))
    big = _project(sim.store, "Big project")
    assert len(sim.store.tasks_in_project(big)) > 4 * sim.config.truncation_cap
    with serve_in_thread(sim, port=0) as base_url:
        result = sync(sim, base_url, tmp_path)
    assert result.gaps == []
    assert compare(sim.store, tmp_path / "asana.duckdb") == []


def test_section_over_the_cap_without_premium_is_an_exact_gap(tmp_path):
    sim = AsanaSimulator(SimConfig.truncation(seed=3, premium=False, **WEATHER))
    store = sim.store
    gap_project = _project(store, "Gap project")
    oversized = next(s for s, sec in store.sections.items() if sec["project"] == gap_project
                     and len(store.tasks_in_section(s)) > sim.config.truncation_cap)
    with serve_in_thread(sim, port=0) as base_url:
        result = sync(sim, base_url, tmp_path)
        env = {"SOURCES__ASANA__ACCESS_TOKEN": "sim-token", "SOURCES__ASANA__BASE_URL": base_url,
               "SOURCES__ASANA__REQUESTS_PER_MINUTE": "100000"}
        cli_dir = tmp_path / "cli"
        cli_dir.mkdir()
        refused = run_cli(["run", "--no-models"], cli_dir, env)
        accepted = run_cli(["run", "--no-models", "--accept-gaps"], cli_dir, env)

    assert [(g["endpoint"], json.loads(g["parameters"])) for g in result.gaps] == [("/tasks", {"section": oversized})]
    unreachable = set(store.tasks_in_section(oversized)[sim.config.truncation_cap:])
    problems = compare(store, tmp_path / "asana.duckdb")
    # Only the tasks past the cap in that one section are missing, and the comparison says so.
    missing = [p for p in problems if "missing" in p]
    assert all(p.startswith(("task:", "task_memberships", "task_followers", "task_tags", "task_custom_field_values",
                             "stories", "task_dependencies")) for p in problems), problems
    con = warehouse(tmp_path / "asana.duckdb")
    loaded = {g for (g,) in con.execute("select gid from asana_raw.tasks").fetchall()}
    assert set(store.tasks) - loaded == unreachable
    assert con.execute("select endpoint, parameters, reason from asana_raw.sync_gaps").fetchall()[0][0] == "/tasks"
    con.close()
    assert missing

    assert refused.returncode == 6, refused.stderr
    assert "sync_gaps" in refused.stderr and "Traceback" not in refused.stderr
    assert accepted.returncode == 0, accepted.stderr


def test_truncated_assigned_task_list_falls_back_to_search(tmp_path):
    """Tasks in no project are found through their assignee's list; when that list is over the cap,
    premium search in created_at windows reads it instead of leaving a gap."""
    sim = AsanaSimulator(SimConfig.truncation(seed=3, premium=True, **WEATHER))
    store = sim.store
    user = sorted(store.users)[1]
    big = _project(store, "Big project")
    with serve_in_thread(sim, port=0) as base_url:
        from helpers import Api

        api = Api(base_url, sim.config.tokens[0])
        for task in store.tasks_in_project(big)[: sim.config.truncation_cap + 20]:
            api.call("PUT", f"/tasks/{task}", {"assignee": user})
        orphan = api.call("POST", "/tasks", {"name": "In no project", "workspace": store.tasks[task]["workspace"],
                                             "assignee": user})["gid"]
        result = sync(sim, base_url, tmp_path)
    assert result.gaps == []
    assert compare(store, tmp_path / "asana.duckdb") == []
    con = warehouse(tmp_path / "asana.duckdb")
    assert con.execute("select assignee_gid from asana_raw.tasks where gid = ?", [orphan]).fetchone() == (user,)


def test_time_tracking_is_read_in_date_windows_that_split_when_truncated(tmp_path):
    """Asana requires an entered_on bound when listing time tracking by workspace (the simulator
    answers 400 without one), and truncates a big workspace: the source splits its date windows
    until every entry is read, and adds each new entry's task with one GET."""
    sim = AsanaSimulator(SimConfig.small(seed=5, truncation_cap=40, time_tracking_share=0.6, **WEATHER))
    store = sim.store
    per_workspace = {}
    for entry in store.time_tracking_entries.values():
        workspace = store.tasks[entry["task"]]["workspace"]
        per_workspace[workspace] = per_workspace.get(workspace, 0) + 1
    assert max(per_workspace.values()) > 2 * sim.config.truncation_cap
    detail = "GET /time_tracking_entries/{gid}"
    listing = "GET /time_tracking_entries?workspace"

    def listing_requests() -> dict[int, int]:
        by_status: dict[int, int] = {}
        for (endpoint, status), n in sim.stats.by_endpoint.items():
            if endpoint == listing:
                by_status[status] = by_status.get(status, 0) + n
        return by_status

    with serve_in_thread(sim, port=0) as base_url:
        result = sync(sim, base_url, tmp_path)
        first_details = sim.stats.by_path_kind.get(detail, 0)
        first_listing = listing_requests()
        sim.stats.reset()
        second = sync(sim, base_url, tmp_path)
        second_listing = listing_requests()
    assert result.gaps == [] and second.gaps == []
    # The first run's windows were cut and split; the second starts from where they ended (the
    # plan in the resource state), so no window is cut again and fewer pages are read.
    assert first_listing.get(400, 0) >= 1
    assert second_listing.get(400, 0) == 0
    assert sum(second_listing.values()) < sum(first_listing.values())
    assert compare(store, tmp_path / "asana.duckdb") == []
    con = warehouse(tmp_path / "asana.duckdb")
    assert con.execute("select count(*) from asana_raw.time_tracking_entries where task_gid is null "
                       "or created_at is null").fetchone() == (0,)
    con.close()
    # Entries already in the warehouse keep their task: the second run asks for no detail.
    assert first_details >= len(store.time_tracking_entries)  # one each (and retries of faulted ones)
    assert sim.stats.by_path_kind.get(detail, 0) == 0
