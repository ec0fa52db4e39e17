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
