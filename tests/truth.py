"""Ground truth: compare what landed in the warehouse with what the simulator serves, row for row."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb


def _ts(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return value


def _d(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def expected_tasks(store) -> dict[str, dict]:
    return {
        gid: {
            "name": t["name"], "completed": bool(t["completed"]), "assignee_gid": t.get("assignee"),
            "parent_gid": t.get("parent"), "due_on": t.get("due_on"), "due_at": t.get("due_at"),
            "completed_at": t.get("completed_at"), "modified_at": t.get("modified_at"),
            "created_at": t.get("created_at"), "notes": t.get("notes"),
        }
        for gid, t in store.tasks.items()
    }


def actual_tasks(con) -> dict[str, dict]:
    result = {}
    for r in rows(con, "select gid, name, completed, assignee_gid, parent_gid, due_on, due_at, completed_at, "
                       "modified_at, created_at, notes from asana_raw.tasks where not coalesce(is_deleted, false)"):
        result[r[0]] = {
            "name": r[1], "completed": bool(r[2]), "assignee_gid": r[3], "parent_gid": r[4], "due_on": _d(r[5]),
            "due_at": _ts(r[6]), "completed_at": _ts(r[7]), "modified_at": _ts(r[8]), "created_at": _ts(r[9]),
            "notes": r[10],
        }
    return result


def diff_dicts(expected: dict, actual: dict, label: str) -> list[str]:
    problems = []
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    if missing:
        problems.append(f"{label}: {len(missing)} missing, e.g. {missing[:5]}")
    if extra:
        problems.append(f"{label}: {len(extra)} unexpected, e.g. {extra[:5]}")
    for key in sorted(set(expected) & set(actual)):
        if expected[key] != actual[key]:
            fields = {k: (expected[key].get(k), actual[key].get(k)) for k in expected[key]
                      if expected[key].get(k) != actual[key].get(k)}
            problems.append(f"{label} {key} differs (expected, actual): {fields}")
            if len(problems) > 20:
                break
    return problems


def diff_sets(expected: set, actual: set, label: str) -> list[str]:
    missing = sorted(expected - actual)
    extra = sorted(actual - expected)
    problems = []
    if missing:
        problems.append(f"{label}: {len(missing)} missing, e.g. {missing[:5]}")
    if extra:
        problems.append(f"{label}: {len(extra)} unexpected, e.g. {extra[:5]}")
    return problems


def compare(store, path: Path) -> list[str]:
    """Every difference between the simulator's objects and the warehouse; empty when equal."""
    con = warehouse(path)
    try:
        problems = diff_dicts(expected_tasks(store), actual_tasks(con), "task")
        live = set(store.tasks)
        problems += diff_sets(
            {(g, m["project"], m.get("section")) for g, t in store.tasks.items() for m in t["memberships"]},
            set(rows(con, "select m.task_gid, m.project_gid, m.section_gid from asana_raw.task_memberships m")),
            "task_memberships")
        problems += diff_sets({(g, tag) for g, t in store.tasks.items() for tag in t["tags"]},
                              set(rows(con, "select task_gid, tag_gid from asana_raw.task_tags")), "task_tags")
        problems += diff_sets({(g, u) for g, t in store.tasks.items() for u in t["followers"]},
                              set(rows(con, "select task_gid, user_gid from asana_raw.task_followers")),
                              "task_followers")
        problems += diff_sets({(g, d) for g, t in store.tasks.items() for d in t.get("dependencies") or []},
                              set(rows(con, "select task_gid, depends_on_gid from asana_raw.task_dependencies")),
                              "task_dependencies")
        problems += diff_sets(_expected_cf_values(store), _actual_cf_values(con), "task_custom_field_values")
        expected_stories = {(s["gid"], s["target"], s.get("created_by"), s["resource_subtype"], s.get("text"))
                            for s in store.stories.values() if s["target"] in live}
        problems += diff_sets(expected_stories, set(rows(
            con, "select s.gid, s.task_gid, s.created_by_gid, s.resource_subtype, s.text from asana_raw.stories s "
                 "join asana_raw.tasks t on t.gid = s.task_gid where not coalesce(t.is_deleted, false)")), "stories")
        for table, attr, cols in (
            ("projects", "projects", ("name", "archived")),
            ("sections", "sections", ("name",)),
            ("users", "users", ("name", "email")),
            ("teams", "teams", ("name",)),
            ("tags", "tags", ("name",)),
            ("custom_fields", "custom_fields", ("name", "resource_subtype")),
            ("workspaces", "workspaces", ("name", "is_organization")),
        ):
            expected = {(gid, *(obj.get(c) for c in cols)) for gid, obj in getattr(store, attr).items()}
            live = " where not coalesce(is_deleted, false)" if table in ("projects", "sections", "tags") else ""
            actual = set(rows(con, f"select gid, {', '.join(cols)} from asana_raw.{table}{live}"))
            problems += diff_sets(expected, actual, table)
        return problems
    finally:
        con.close()


def _expected_cf_values(store) -> set:
    result = set()
    for gid, task in store.tasks.items():
        for cf_gid, value in (task.get("custom_field_values") or {}).items():
            if value is None or value == []:
                continue
            kind = store.custom_fields[cf_gid]["resource_subtype"]
            if kind in ("multi_enum", "people"):
                value = ",".join(sorted(value))
            elif kind == "number":
                value = float(value)
            result.add((gid, cf_gid, value))
    return result


def _actual_cf_values(con) -> set:
    result = set()
    for r in rows(con, "select task_gid, custom_field_gid, resource_subtype, text_value, number_value, "
                       "enum_value_gid, multi_enum_value_gids, date_value, people_value_gids "
                       "from asana_raw.task_custom_field_values"):
        task_gid, cf_gid, kind, text, number, enum, multi, date_value, people = r
        value = {"text": text, "number": number, "enum": enum, "date": _d(date_value),
                 "multi_enum": ",".join(sorted(multi.split(","))) if multi else None,
                 "people": ",".join(sorted(people.split(","))) if people else None}.get(kind)
        if value is not None and value != "":
            result.add((task_gid, cf_gid, value))
    return result


def reachable_portfolios(store) -> set[str]:
    """The API lists only portfolios the token's user owns; nested ones are reached through items."""
    found = {g for g, p in store.portfolios.items() if p["owner"] == store.me}
    pending = list(found)
    while pending:
        for item in store.portfolios[pending.pop()].get("items") or []:
            if item in store.portfolios and item not in found:
                found.add(item)
                pending.append(item)
    return found


def compare_coverage(store, path: Path) -> list[str]:
    """The tables beyond tasks: memberships, statuses, portfolios, goals, time tracking, ..."""
    con = warehouse(path)
    portfolios = reachable_portfolios(store)
    live_tasks = set(store.tasks)
    parents = set(store.projects) | portfolios | set(store.goals)

    def table(sql: str) -> set:
        try:
            return set(rows(con, sql))
        except Exception as exc:  # noqa: BLE001 - a missing table is a difference like any other
            return {("error", str(exc).splitlines()[0])}

    checks = [
        ("team_memberships", {(m["gid"], m["team"], m["user"], m["is_admin"]) for m in store.team_memberships.values()},
         "select gid, team_gid, user_gid, is_admin from asana_raw.team_memberships"),
        ("workspace_users", {(w, u) for u, user in store.users.items() for w in user["workspaces"]},
         "select workspace_gid, user_gid from asana_raw.workspace_users"),
        ("custom_field_enum_options", {(cf, o["gid"], o["name"]) for cf, f in store.custom_fields.items()
                                       for o in f.get("enum_options") or []},
         "select custom_field_gid, gid, name from asana_raw.custom_field_enum_options"),
        ("workspace_memberships", {(m["gid"], m["workspace"], m["user"], m["is_admin"])
                                   for m in store.workspace_memberships.values()},
         "select gid, workspace_gid, user_gid, is_admin from asana_raw.workspace_memberships"),
        ("project_memberships", {(m["gid"], m["project"], m["user"], m["access_level"])
                                 for m in store.project_memberships.values() if m["project"] in store.projects},
         "select gid, project_gid, user_gid, access_level from asana_raw.project_memberships"),
        ("status_updates", {(u["gid"], u["parent"], u["status_type"], u["title"])
                            for u in store.status_updates.values() if u["parent"] in parents},
         "select gid, parent_gid, status_type, title from asana_raw.status_updates"),
        ("project_statuses", {(u["gid"], u["project"], u["title"]) for u in store.project_statuses.values()
                              if u["project"] in store.projects},
         "select gid, project_gid, title from asana_raw.project_statuses"),
        ("project_briefs", {(b["gid"], b["project"], b["title"]) for b in store.project_briefs.values()
                            if b["project"] in store.projects},
         "select gid, project_gid, title from asana_raw.project_briefs"),
        ("project_templates", {(t["gid"], t["name"], t.get("team")) for t in store.project_templates.values()},
         "select gid, name, team_gid from asana_raw.project_templates"),
        ("portfolios", {(g, store.portfolios[g]["name"], store.portfolios[g]["owner"]) for g in portfolios},
         "select gid, name, owner_gid from asana_raw.portfolios where not coalesce(is_deleted, false)"),
        ("portfolio_items", {(g, item) for g in portfolios for item in store.portfolios[g].get("items") or []},
         "select portfolio_gid, item_gid from asana_raw.portfolio_items"),
        ("portfolio_memberships", {(m["gid"], m["portfolio"], m["user"]) for m in store.portfolio_memberships.values()
                                   if m["portfolio"] in portfolios},
         "select gid, portfolio_gid, user_gid from asana_raw.portfolio_memberships"),
        ("goals", {(g["gid"], g["name"], g["owner"], g["status"]) for g in store.goals.values()},
         "select gid, name, owner_gid, status from asana_raw.goals"),
        ("goal_relationships", {(r["gid"], r["supported_goal"], r["supporting_resource"])
                                for r in store.goal_relationships.values()},
         "select gid, supported_goal_gid, supporting_resource_gid from asana_raw.goal_relationships"),
        ("time_periods", {(t["gid"], t["display_name"], t.get("parent")) for t in store.time_periods.values()},
         "select gid, display_name, parent_gid from asana_raw.time_periods"),
        ("time_tracking_entries", {(e["gid"], e["task"], e["duration_minutes"])
                                   for e in store.time_tracking_entries.values()},
         "select gid, task_gid, duration_minutes from asana_raw.time_tracking_entries"),
        ("user_task_lists", {(u["gid"], u["owner"], u["workspace"]) for u in store.user_task_lists.values()},
         "select gid, owner_gid, workspace_gid from asana_raw.user_task_lists"),
        ("webhooks", {(w["gid"], w["resource"], w["target"]) for w in store.webhooks.values()},
         "select gid, resource_gid, target from asana_raw.webhooks"),
        ("attachments", {(a["gid"], a["parent"], a["name"]) for a in store.attachments.values()
                         if a["parent"] in live_tasks},
         "select gid, task_gid, name from asana_raw.attachments"),
        ("custom_field_settings", {(c["gid"], c["parent"], c["custom_field"], c["is_important"])
                                   for c in store.custom_field_settings.values()
                                   if c["parent"] in store.projects or c["parent"] in portfolios},
         "select gid, parent_gid, custom_field_gid, is_important from asana_raw.custom_field_settings"),
        ("task_dependents", {(g, d) for g in live_tasks for d in store.dependents_of(g)},
         "select task_gid, dependent_gid from asana_raw.task_dependents"),
    ]
    try:
        problems = []
        for label, expected, sql in checks:
            problems += diff_sets(expected, table(sql), label)
        return problems
    finally:
        con.close()


# --- history: each task's state over time (asana_sim/history.py), as a warehouse can know it -------------------
def knowable_spans(store, gid: str) -> list[tuple]:
    """``asana_sim.history.spans`` of the task, with the one thing no warehouse can know masked: the assignee
    before the task's first (un)assignment story when that story is 'assigned' (Asana's story names the new
    assignee only; the models take the task as unassigned until then). Equal consecutive states are merged."""
    from asana_sim import history
    from asana_sim.store import ms_of

    spans = history.spans(store, gid)
    firsts = [s for s in (store.stories[g] for g in store.ix_task_stories.get(gid, ()))
              if s["resource_subtype"] in ("assigned", "unassigned")]
    first = min(firsts, key=lambda s: (s["created_at"], s["gid"]), default=None)
    if first is not None and first["resource_subtype"] == "assigned":
        until = ms_of(first["created_at"])
        spans = [(a, b, {**st, ("assignee",): None} if a < until else st) for a, b, st in spans]
    merged: list[tuple] = []
    for start, end, state in spans:
        if merged and merged[-1][2] == state:
            merged[-1] = (merged[-1][0], end, state)
        else:
            merged.append((start, end, state))
    return merged


def expected_state_rows(store) -> set[tuple]:
    """``{(task_gid, valid_from, valid_to, is_completed, assignee_gid, due_on, due_at)}`` of every live task's
    knowable spans, as asana__task_state_history holds them (times in epoch milliseconds)."""
    rows = set()
    for gid in store.tasks:
        for start, end, state in knowable_spans(store, gid):
            due_on, due_at = state[("due",)]
            rows.add((gid, start, end, state[("completed",)], state[("assignee",)], due_on, due_at))
    return rows


def expected_section_rows(store) -> set[tuple]:
    """``{(task_gid, project_gid, valid_from, valid_to, section_gid)}``: the section spans per project."""
    return _keyed_spans(store, "section")


def expected_custom_field_rows(store) -> set[tuple]:
    """``{(task_gid, custom_field_gid, valid_from, valid_to, value)}``: the value spans per custom field."""
    return _keyed_spans(store, "custom_field")


def _keyed_spans(store, kind: str) -> set[tuple]:
    rows = set()
    for gid in store.tasks:
        spans = knowable_spans(store, gid)
        keys = {k for _, _, st in spans for k in st if k[0] == kind}
        for key in keys:
            start, value = None, object()
            for a, _, st in spans:
                if st.get(key) != value:
                    if start is not None:
                        rows.add((gid, key[1], start, a, value))
                    start, value = a, st.get(key)
            rows.add((gid, key[1], start, None, value))
    return rows
