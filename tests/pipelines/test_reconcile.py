"""Deletions and moves, which modified_since never shows: after the next run the warehouse equals the
simulator again, with deletion marks instead of silently kept rows. Both ways of learning about them
are tested: a reconciling run (lists everything) and the Events API (between reconciliations, with
``incremental=projects``; tests/pipelines/test_search_incremental.py covers search)."""

from __future__ import annotations

import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from weather import WEATHER
from helpers import Api, sync
from truth import compare, compare_coverage, warehouse


def change_structure(api: Api, store) -> dict:
    """Deletes, moves and a subtask-only change, the kinds of change modified_at does not show."""
    top = sorted(g for g, t in store.tasks.items() if t["parent"] is None and t["memberships"])
    doomed = top[0]
    parent = next(g for g in sorted(store.tasks) if store.subtasks_of(g) and store.tasks[g]["parent"] is None
                  and g != doomed)
    doomed_subtask = store.subtasks_of(parent)[0]
    changed_subtask = next(g for g in sorted(store.tasks) if store.tasks[g]["parent"] and g != doomed_subtask
                           and store.tasks[store.tasks[g]["parent"]]["parent"] is None
                           and store.tasks[g]["parent"] != doomed)
    mover = top[5]
    membership = store.tasks[mover]["memberships"][0]
    other_section = next(s for s, sec in store.sections.items()
                         if sec["project"] == membership["project"] and s != membership.get("section"))
    projects = sorted(store.projects)
    jumper = next(g for g in top[6:] if projects[-1] not in {m["project"] for m in store.tasks[g]["memberships"]}
                  and g not in (mover,))
    api.call("DELETE", f"/tasks/{doomed}")
    api.call("DELETE", f"/tasks/{doomed_subtask}")
    api.call("POST", f"/sections/{other_section}/addTask", {"task": mover})
    api.call("POST", f"/tasks/{jumper}/addProject", {"project": projects[-1]})
    api.call("POST", f"/tasks/{jumper}/removeProject", {"project": store.tasks[jumper]["memberships"][0]["project"]})
    api.call("PUT", f"/tasks/{changed_subtask}", {"name": "Only this subtask changed ✏️"})
    story = next(s for s, st in store.stories.items() if st["type"] == "comment" and st["target"] in store.tasks
                 and st["target"] not in (doomed,))
    api.call("DELETE", f"/stories/{story}")
    return {"deleted": [doomed, doomed_subtask], "story": story, "subtasks": [doomed_subtask, changed_subtask]}


def move_one_and_delete_one(api: Api, store) -> str:
    """A task moved to another section of its project, another deleted: the gid of the deleted one."""
    top = sorted(g for g, t in store.tasks.items() if t["parent"] is None and t["memberships"])
    membership = store.tasks[top[3]]["memberships"][0]
    other = next(s for s, sec in sorted(store.sections.items())
                 if sec["project"] == membership["project"] and s != membership.get("section"))
    api.call("POST", f"/sections/{other}/addTask", {"task": top[3]})
    api.call("DELETE", f"/tasks/{top[4]}")
    return top[4]


@pytest.mark.parametrize("reconcile", ["always", "never"])
def test_deletions_moves_and_subtask_changes_reach_the_warehouse(tmp_path, reconcile):
    sim = AsanaSimulator(SimConfig.small(seed=13, **WEATHER))
    options = {"reconcile": reconcile, "incremental": "projects"}
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path, **options)
        api = Api(base_url, sim.config.tokens[0])
        changed = change_structure(api, sim.store)
        result = sync(sim, base_url, tmp_path, **options)
    problems = compare(sim.store, tmp_path / "asana.duckdb")
    if reconcile == "never":
        # Project event streams do not carry subtasks, so between reconciliations a change to a
        # subtask alone (even its deletion) waits for the next reconciliation (documented);
        # everything else must be right.
        problems = [p for p in problems if not any(g in p for g in changed["subtasks"])]
    assert problems == []
    con = warehouse(tmp_path / "asana.duckdb")
    marked = con.execute("select gid from asana_raw.tasks where is_deleted and deleted_detected_at is not null"
                         ).fetchall()
    assert {g for (g,) in marked} >= {changed["deleted"][0]} | ({changed["deleted"][1]} if reconcile == "always"
                                                                 else set())
    assert con.execute("select count(*) from asana_raw.stories where gid = ?", [changed["story"]]).fetchone()[0] == 0
    assert result.gaps == []


def test_deleted_project_section_and_tag_are_marked(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=17, **WEATHER))
    with serve_in_thread(sim, port=0) as base_url:
        api = Api(base_url, sim.config.tokens[0])
        project = sorted(sim.store.projects)[0]
        # Asana deletes only empty sections.
        section = api.call("POST", f"/projects/{sorted(sim.store.projects)[1]}/sections", {"name": "Short-lived"})["gid"]
        sync(sim, base_url, tmp_path)
        tag = sorted(sim.store.tags)[0]
        api.call("DELETE", f"/projects/{project}")
        api.call("DELETE", f"/tags/{tag}")
        api.call("DELETE", f"/sections/{section}")
        sync(sim, base_url, tmp_path)
    assert compare(sim.store, tmp_path / "asana.duckdb") == []
    # The deleted project's memberships, statuses, brief and custom field settings are gone too.
    assert compare_coverage(sim.store, tmp_path / "asana.duckdb") == []
    con = warehouse(tmp_path / "asana.duckdb")
    for table, gid in (("projects", project), ("tags", tag), ("sections", section)):
        assert con.execute(f"select is_deleted from asana_raw.{table} where gid = ?", [gid]).fetchone() == (True,)


def test_expired_event_stream_relists_the_project(tmp_path):
    """A sync token older than Asana keeps events for answers 412 again: the events in between are
    lost, so the project is listed in full instead of trusting the stream."""
    import time

    sim = AsanaSimulator(SimConfig.small(seed=19, sync_token_ttl_s=0.5, **WEATHER))
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path, reconcile="never", incremental="projects")
        deleted = move_one_and_delete_one(Api(base_url, sim.config.tokens[0]), sim.store)
        time.sleep(0.8)
        sync(sim, base_url, tmp_path, reconcile="never", incremental="projects")
    assert compare(sim.store, tmp_path / "asana.duckdb") == []
    con = warehouse(tmp_path / "asana.duckdb")
    assert con.execute("select is_deleted from asana_raw.tasks where gid = ?", [deleted]).fetchone() == (True,)


def test_a_time_tracking_entry_removed_from_asana_is_removed_from_the_warehouse(tmp_path):
    """Entries are merged on gid (no per-workspace replace, whose merge join grows with the square of
    the entries); one the complete listing no longer returns is deleted, the others stay."""
    sim = AsanaSimulator(SimConfig.small(seed=29, time_tracking_share=0.5, **WEATHER))
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path)
        gone = sorted(sim.store.time_tracking_entries)[0]
        with sim.store.lock:
            del sim.store.time_tracking_entries[gone]
        sync(sim, base_url, tmp_path)
    assert compare_coverage(sim.store, tmp_path / "asana.duckdb") == []
    con = warehouse(tmp_path / "asana.duckdb")
    assert con.execute("select count(*) from asana_raw.time_tracking_entries where gid = ?", [gone]).fetchone() == (0,)
    assert con.execute("select count(*) from asana_raw.time_tracking_entries").fetchone()[0] == \
        len(sim.store.time_tracking_entries)


def test_a_first_sync_above_the_threshold_starts_the_event_streams(tmp_path):
    """Above ``reconcile_below_tasks`` the run after a first sync does not reconcile. The first sync
    learns the size only by listing, so it starts the streams at its end: a deletion and a move made
    before the second run reach the warehouse with that run, not a reconciliation later."""
    from dlt.pipeline.state_sync import load_pipeline_state_from_destination

    from pipelines.warehouse.destination import Destination

    from pipelines.warehouse.runtime import make_pipeline

    sim = AsanaSimulator(SimConfig.small(seed=31, **WEATHER))
    options = {"incremental": "projects", "reconcile_below_tasks": 10}
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path, **options)
        destination = Destination.parse("duckdb", str(tmp_path / "asana.duckdb"))
        with make_pipeline(destination, read_only=True).destination_client() as client:
            stored = load_pipeline_state_from_destination(destination.pipeline_name, client)
        task_state = stored["sources"]["asana"]["resources"]["tasks"]
        assert set(task_state["event_syncs"]) == set(sim.store.projects)
        deleted = move_one_and_delete_one(Api(base_url, sim.config.tokens[0]), sim.store)
        result = sync(sim, base_url, tmp_path, **options)
    assert result.task_discovery == "projects"
    assert compare(sim.store, tmp_path / "asana.duckdb") == []
    con = warehouse(tmp_path / "asana.duckdb")
    assert con.execute("select is_deleted from asana_raw.tasks where gid = ?", [deleted]).fetchone() == (True,)
