"""Each task's tracked state over time, replayed from the simulator's records: the ground truth that the
history models (`asana__task_state_history` and its companions, `asana__daily_metrics`) are checked against.

Tracked state: `completed`, `assignee`, `due_on` / `due_at`, the section in each project the task is in now,
and the value of each of its custom fields. A task starts in the state each kind of change started from: the
old value of its first story of that kind (for an `assigned` story, the ground-truth-only
`previous_assignee`, which the API does not serve), or its current value when no story changed it. A task
is open from creation, except one completed without any completion story (created complete through the API):
complete from `completed_at` (from creation without one). Then every story applies its new value at its time
(stories in time order, then by gid; the state after the last story at an instant holds from that instant).

Not tracked, because the records do not say when they changed: moves in a project the task has left, the
section of a project the task was added to later (taken as its section since creation), and the values of
multi_enum and people fields (their stories carry none).

    spans(store, gid)          -> [(start_ms, end_ms or None, state)], consecutive states differ
    state_at(store, gid, ms)   -> the state at that instant, None before creation
    completion_events(store, gid) -> [(ms, "completed" | "reopened")], each a change of `completed`
"""
from __future__ import annotations

from typing import Any

from .store import Store, ms_of

COMPLETION = {"marked_complete": True, "marked_incomplete": False}


def _stories(store: Store, gid: str) -> list[dict]:
    stories = [store.stories[g] for g in store.ix_task_stories.get(gid, ())]
    return sorted(stories, key=lambda st: (st["created_at"], st["gid"]))


def _cf_value(kind: str, value: Any) -> Any:
    if kind == "number" and value is not None:
        return float(value)
    if kind in ("multi_enum", "people") and value is not None:
        return tuple(sorted(value))
    return value


def _changes(store: Store, task: dict, story: dict) -> list[tuple[tuple, Any, Any]]:
    """[(key, old value, new value)] of the tracked state a story changes; key ('completed',),
    ('assignee',), ('due',), ('section', project) or ('custom_field', gid)."""
    sub = story["resource_subtype"]
    if sub in COMPLETION:
        return [(("completed",), not COMPLETION[sub], COMPLETION[sub])]
    if sub == "assigned":
        return [(("assignee",), story.get("previous_assignee"), story.get("assignee"))]
    if sub == "unassigned":
        return [(("assignee",), story.get("assignee"), None)]
    if sub in ("due_date_changed", "dates_changed"):
        old, new = story.get("old_dates") or {}, story.get("new_dates") or {}
        return [(("due",), (old.get("due_on"), old.get("due_at")), (new.get("due_on"), new.get("due_at")))]
    if sub == "section_changed":
        section = story.get("new_section") or story.get("old_section")
        project = store.sections[section]["project"] if section in store.sections else None
        if project is None or all(m["project"] != project for m in task["memberships"]):
            return []
        return [(("section", project), story.get("old_section"), story.get("new_section"))]
    cf = story.get("custom_field")
    if sub.endswith("_custom_field_changed") and cf in task["custom_field_values"]:
        kind = store.custom_fields[cf]["resource_subtype"]
        if kind not in ("enum", "text", "number", "date"):
            return []
        return [(("custom_field", cf), _cf_value(kind, story.get(f"old_{kind}_value")),
                 _cf_value(kind, story.get(f"new_{kind}_value")))]
    return []


def _current(store: Store, task: dict) -> dict[tuple, Any]:
    state: dict[tuple, Any] = {("completed",): bool(task["completed"]), ("assignee",): task["assignee"],
                               ("due",): (task["due_on"], task["due_at"])}
    for m in task["memberships"]:
        state[("section", m["project"])] = m["section"]
    for cf, value in task["custom_field_values"].items():
        state[("custom_field", cf)] = _cf_value(store.custom_fields[cf]["resource_subtype"], value)
    return state


def spans(store: Store, gid: str) -> list[tuple[int, int | None, dict[tuple, Any]]]:
    """The task's states: [(start_ms, end_ms or None while current, state)]; state maps ('completed',),
    ('assignee',), ('due',) -> (due_on, due_at), ('section', project) and ('custom_field', gid) to values."""
    task = store.tasks[gid]
    created = ms_of(task["created_at"])
    state = _current(store, task)
    events: list[tuple[int, tuple, Any]] = []
    seen: set[tuple] = set()
    for story in _stories(store, gid):
        for key, old, new in _changes(store, task, story):
            if key not in seen:  # the first change of a kind tells the value it started from
                seen.add(key)
                state[key] = old
            events.append((ms_of(story["created_at"]), key, new))
    if ("completed",) not in seen:
        state[("completed",)] = False
        if task["completed"]:
            events.append((ms_of(task["completed_at"]) if task["completed_at"] else created, ("completed",), True))
            events.sort(key=lambda e: e[0])
    out: list[tuple[int, int | None, dict[tuple, Any]]] = []
    start, i = created, 0
    while True:
        while i < len(events) and events[i][0] <= start:
            state[events[i][1]] = events[i][2]
            i += 1
        if not out or out[-1][2] != state:
            if out:
                out[-1] = (out[-1][0], start, out[-1][2])
            out.append((start, None, dict(state)))
        if i == len(events):
            return out
        start = events[i][0]


def state_at(store: Store, gid: str, ms: int) -> dict[tuple, Any] | None:
    found = None
    for start, _, state in spans(store, gid):
        if start <= ms:
            found = state
    return found


def completion_events(store: Store, gid: str) -> list[tuple[int, str]]:
    """Every change of `completed`: (ms, 'completed' | 'reopened'); a completion at creation counts."""
    out, before = [], False
    for start, _, state in spans(store, gid):
        if state[("completed",)] != before:
            out.append((start, "completed" if state[("completed",)] else "reopened"))
        before = state[("completed",)]
    return out
