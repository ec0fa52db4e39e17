"""Completed, reopened, completed again (asana_sim/reopen.py) and the ground truth of each task's state over
time (asana_sim/history.py)."""
import pytest
from sim_helpers import client_for, org_gid

import asana_sim.generator as generator
from asana_sim import AsanaSimulator, SimConfig, history
from asana_sim.generator import generate
from asana_sim.reopen import REOPEN_GID_BASE
from asana_sim.store import ms_of


@pytest.fixture(scope="module")
def demo():
    return generate(SimConfig.demo(seed=1))


def test_reopenings_shift_nothing(monkeypatch):
    with_reopen = generate(SimConfig.small(seed=7))
    monkeypatch.setattr(generator, "add_reopenings", lambda store, seed: None)
    without = generate(SimConfig.small(seed=7))
    for kind in ("tasks", "users", "projects", "sections", "attachments", "time_tracking_entries", "goals",
                 "portfolios", "status_updates", "custom_field_settings"):
        assert getattr(with_reopen, kind) == getattr(without, kind), kind
    added = {g: st for g, st in with_reopen.stories.items() if g not in without.stories}
    assert added and all(int(g) > REOPEN_GID_BASE for g in added)
    assert {st["resource_subtype"] for st in added.values()} <= {"marked_complete", "marked_incomplete"}
    assert all(with_reopen.stories[g] == st for g, st in without.stories.items())


def test_demo_tasks_completed_reopened_and_completed_again(demo):
    s = demo
    again = [g for g, t in s.tasks.items()
             if t["completed"] and sum(e == "completed" for _, e in history.completion_events(s, g)) >= 2]
    assert len(again) >= 100
    for g in s.tasks:
        stories = [s.stories[x] for x in s.ix_task_stories.get(g, ())]
        assert [x["created_at"] for x in stories] == sorted(x["created_at"] for x in stories), g
        done = [x["resource_subtype"] for x in stories if x["resource_subtype"] in history.COMPLETION]
        # they alternate, starting with a completion: no reopening follows no completion
        assert all(sub == ("marked_complete" if i % 2 == 0 else "marked_incomplete") for i, sub in enumerate(done)), g


def test_the_ground_truth_ends_in_the_current_state(demo):
    s = demo
    for g, t in s.tasks.items():
        spans = history.spans(s, g)
        assert spans[0][0] == ms_of(t["created_at"]) and spans[-1][1] is None
        assert all(a[1] == b[0] and a[2] != b[2] for a, b in zip(spans, spans[1:])), g
        assert spans[-1][2] == history._current(s, t), g
        events = history.completion_events(s, g)
        if t["completed"]:
            assert events[-1] == (ms_of(t["completed_at"]), "completed"), g
        else:
            assert not events or events[-1][1] == "reopened", g


def test_ground_truth_of_changes_made_through_the_api():
    sim = AsanaSimulator(SimConfig.small(seed=7))
    s = sim.store
    with client_for(sim) as c:
        users = sorted(u for u, user in s.users.items() if org_gid(sim) in user["workspaces"])
        gid = c.post("/tasks", json={"data": {"workspace": org_gid(sim), "name": "t", "assignee": users[1]}}
                     ).json()["data"]["gid"]
        for change in ({"assignee": users[2]}, {"completed": True}, {"completed": False}, {"due_on": "2030-01-02"},
                       {"completed": True}):
            assert c.put(f"/tasks/{gid}", json={"data": change}).status_code == 200
    spans = history.spans(s, gid)
    assert [(st[("completed",)], st[("assignee",)], st[("due",)][0]) for _, _, st in spans] == [
        (False, users[1], None), (False, users[2], None), (True, users[2], None), (False, users[2], None),
        (False, users[2], "2030-01-02"), (True, users[2], "2030-01-02")]
    assert [e for _, e in history.completion_events(s, gid)] == ["completed", "reopened", "completed"]
    assert history.state_at(s, gid, spans[2][0])[("completed",)] is True
    assert history.state_at(s, gid, spans[0][0] - 1) is None
