"""History tables built from the stories' structured fields, checked against the simulator's own record
of changes (its stories, which it keeps consistent with each task's current state), before and after
changes made through the API."""

from __future__ import annotations

import duckdb
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from weather import WEATHER
from helpers import Api, sync

from pipelines.pipeline import build_models
from pipelines.pipeline import Destination


def _expected(store, subtypes):
    return [s for s in store.stories.values() if s["resource_subtype"] in subtypes and s["target"] in store.tasks]


def check_history(store, path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    problems = []
    try:
        sections = {(s["gid"], s["target"], s.get("old_section"), s.get("new_section"))
                    for s in _expected(store, {"section_changed"})}
        got = set(q("select story_gid, task_gid, from_section_gid, to_section_gid "
                    "from asana.asana_analytics.asana__task_section_history"))
        if sections != got:
            problems.append(f"section history: missing {sorted(sections - got)[:3]}, extra {sorted(got - sections)[:3]}")

        assigns = {(s["gid"], s["target"], s.get("assignee") if s["resource_subtype"] == "assigned" else None)
                   for s in _expected(store, {"assigned", "unassigned"})}
        got = set(q("select story_gid, task_gid, assignee_user_gid from asana.asana_analytics.asana__task_assignee_history"))
        if assigns != got:
            problems.append(f"assignee history: missing {sorted(assigns - got)[:3]}, extra {sorted(got - assigns)[:3]}")
        for task_gid, assignee in q("select task_gid, assignee_user_gid from asana.asana_analytics.asana__task_assignee_history "
                                    "where is_current"):
            if store.tasks[task_gid]["assignee"] != assignee:
                problems.append(f"current assignee of {task_gid}: {assignee} != {store.tasks[task_gid]['assignee']}")

        completions = {(s["gid"], s["target"], "completed" if s["resource_subtype"] == "marked_complete"
                        else "reopened") for s in _expected(store, {"marked_complete", "marked_incomplete"})}
        got = set(q("select story_gid, task_gid, event_type from asana.asana_analytics.asana__task_completion_history"))
        if completions != got:
            problems.append(f"completion history: missing {sorted(completions - got)[:3]}, "
                            f"extra {sorted(got - completions)[:3]}")

        dues = {(s["gid"], s["target"], (s.get("new_dates") or {}).get("due_on"))
                for s in _expected(store, {"due_date_changed", "dates_changed"})}
        got = {(g, t, d.isoformat() if d else None) for g, t, d in
               q("select story_gid, task_gid, new_due_on from asana.asana_analytics.asana__task_due_date_history")}
        if dues != got:
            problems.append(f"due date history: missing {sorted(dues - got)[:3]}, extra {sorted(got - dues)[:3]}")

        fields = {(s["gid"], s["target"], s.get("custom_field")) for s in store.stories.values()
                  if s["resource_subtype"].endswith("custom_field_changed") and s["target"] in store.tasks}
        got = set(q("select story_gid, task_gid, custom_field_gid from asana.asana_analytics.asana__task_custom_field_history"))
        if fields != got:
            problems.append(f"custom field history: missing {sorted(fields - got)[:3]}, extra {sorted(got - fields)[:3]}")
    finally:
        con.close()
    return problems


def test_history_tables_match_the_simulators_record(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=23, **WEATHER))
    path = tmp_path / "asana.duckdb"
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path)
        build_models(Destination.parse("duckdb", str(path)))
        assert check_history(sim.store, path) == []

        api = Api(base_url, sim.config.tokens[0])
        store = sim.store
        top = sorted(g for g, t in store.tasks.items() if t["parent"] is None and t["memberships"])
        users = sorted(store.users)
        api.call("PUT", f"/tasks/{top[0]}", {"assignee": users[3]})
        api.call("PUT", f"/tasks/{top[1]}", {"assignee": None})
        api.call("PUT", f"/tasks/{top[2]}", {"completed": not store.tasks[top[2]]["completed"]})
        api.call("PUT", f"/tasks/{top[3]}", {"due_on": "2027-03-01"})
        membership = store.tasks[top[4]]["memberships"][0]
        target = next(s for s, sec in sorted(store.sections.items())
                      if sec["project"] == membership["project"] and s != membership.get("section"))
        api.call("POST", f"/sections/{target}/addTask", {"task": top[4]})
        sync(sim, base_url, tmp_path)
        build_models(Destination.parse("duckdb", str(path)))
    assert check_history(sim.store, path) == []
