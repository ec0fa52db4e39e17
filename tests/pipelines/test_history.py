"""History tables built from the stories' structured fields, checked against the simulator's own record
of changes (its stories, which it keeps consistent with each task's current state), before and after
changes made through the API; the state history (asana__task_state_history and its companions) and the
daily metrics checked against each task's state over time as the simulator knows it (asana_sim/history.py,
tests/truth.py)."""

from __future__ import annotations

import collections
import datetime as dt

import duckdb
from asana_sim import AsanaSimulator, SimConfig, history, serve_in_thread
from asana_sim.store import ms_of
from weather import WEATHER
from helpers import Api, sync
from truth import expected_custom_field_rows, expected_section_rows, expected_state_rows, knowable_spans

from pipelines.models.build import build_models
from pipelines.warehouse.destination import Destination


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


def _ms(value) -> int | None:
    if value is None:
        return None
    return round(value.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)


def _iso_ms(value: str | None) -> int | None:
    return ms_of(value) if value else None


def _diff(label: str, expected: set, got: set) -> list[str]:
    if expected == got:
        return []
    return [f"{label}: {len(expected - got)} missing, e.g. {sorted(expected - got, key=repr)[:2]}; "
            f"{len(got - expected)} unexpected, e.g. {sorted(got - expected, key=repr)[:2]}"]


def check_states(store, path) -> list[str]:
    """The state spans, section spans and custom field spans equal the simulator's history."""
    con = duckdb.connect(str(path), read_only=True)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    try:
        expected = {(g, a, b, c, u, d, _iso_ms(at)) for g, a, b, c, u, d, at in expected_state_rows(store)}
        got = {(g, _ms(a), _ms(b), c, u, d.isoformat() if d else None, _ms(at)) for g, a, b, c, u, d, at in q(
            "select task_gid, valid_from, valid_to, is_completed, assignee_user_gid, due_on, due_at "
            "from asana.asana_analytics.asana__task_state_history")}
        problems = _diff("state spans", expected, got)
        got = {(g, p, _ms(a), _ms(b), s) for g, p, a, b, s in q(
            "select task_gid, project_gid, valid_from, valid_to, section_gid "
            "from asana.asana_analytics.asana__task_section_state_history")}
        problems += _diff("section spans", expected_section_rows(store), got)
        expected = {(g, f, a, b, v if v not in ((), []) else None)
                    for g, f, a, b, v in expected_custom_field_rows(store)}
        got = set()
        for g, f, a, b, kind, text, number, enum, date, multi, people in q(
                "select task_gid, custom_field_gid, valid_from, valid_to, custom_field_type, text_value, number_value, "
                "enum_value_gid, date_value, multi_enum_value_gids, people_value_gids "
                "from asana.asana_analytics.asana__task_custom_field_state_history"):
            listed = multi if kind == "multi_enum" else people
            value = {"text": text, "number": number, "enum": enum, "date": date.isoformat() if date else None}.get(
                kind, tuple(sorted(listed.split(","))) if listed else None)
            got.add((g, f, _ms(a), _ms(b), value))
        problems += _diff("custom field spans", expected, got)
        return problems
    finally:
        con.close()


def check_daily_metrics(store, path) -> list[str]:
    """Completions and reopenings per day are the simulator's completion events; open (and open and assigned)
    tasks per day are the tasks its history has open (and assigned) at the end of that day."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("select workspace_gid, is_subtask, date_day, number_of_tasks_completed, "
                           "number_of_tasks_reopened, number_of_tasks_open, number_of_tasks_open_assigned "
                           "from asana.asana_analytics.asana__daily_metrics").fetchall()
    finally:
        con.close()
    day = lambda ms: dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).date()  # noqa: E731
    events: collections.Counter = collections.Counter()
    opened: collections.Counter = collections.Counter()  # (kind, key, day) -> +1 / -1 at day boundaries
    for gid, task in store.tasks.items():
        key = (task["workspace"], task["parent"] is not None)
        for ms, event in history.completion_events(store, gid):
            events[(event, *key, day(ms))] += 1
        for start, end, state in knowable_spans(store, gid):
            if not state[("completed",)]:
                for what in ("open",) + (("assigned",) if state[("assignee",)] else ()):
                    if end is None or day(start) < day(end):
                        opened[(what, *key, day(start))] += 1
                    if end is not None and day(start) < day(end):
                        opened[(what, *key, day(end))] -= 1
    problems, running = [], collections.Counter()
    for ws, subtask, date_day, completed, reopened, open_, assigned in sorted(rows):
        running["open", ws, subtask] += opened[("open", ws, subtask, date_day)]
        running["assigned", ws, subtask] += opened[("assigned", ws, subtask, date_day)]
        expected = (events[("completed", ws, subtask, date_day)], events[("reopened", ws, subtask, date_day)],
                    running["open", ws, subtask], running["assigned", ws, subtask])
        if (completed, reopened, open_, assigned) != expected:
            problems.append(f"daily {ws} {subtask} {date_day}: {(completed, reopened, open_, assigned)} != {expected}")
    total = sum(n for (event, *_), n in events.items() if event == "completed")
    if sum(r[3] for r in rows) != total:
        problems.append(f"daily completions add up to {sum(r[3] for r in rows)}, not the {total} completion events")
    return problems[:10]


def test_history_tables_match_the_simulators_record(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=23, **WEATHER))
    path = tmp_path / "asana.duckdb"
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path)
        build_models(Destination.parse("duckdb", str(path)))
        assert check_history(sim.store, path) == []
        assert check_states(sim.store, path) == []
        assert check_daily_metrics(sim.store, path) == []

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
    assert check_states(sim.store, path) == []
    assert check_daily_metrics(sim.store, path) == []


def test_state_history_matches_the_simulators_history_with_reopenings(tmp_path):
    """An organization with tasks completed, reopened and completed again (asana_sim/reopen.py), no faults."""
    sim = AsanaSimulator(SimConfig.small(seed=5, n_projects=8, tasks_per_project=150))
    again = [g for g in sim.store.tasks
             if sum(event == "completed" for _, event in history.completion_events(sim.store, g)) >= 2]
    assert len(again) >= 10
    path = tmp_path / "asana.duckdb"
    with serve_in_thread(sim, port=0) as base_url:
        sync(sim, base_url, tmp_path)
        build_models(Destination.parse("duckdb", str(path)))
    assert check_states(sim.store, path) == []
    assert check_daily_metrics(sim.store, path) == []
