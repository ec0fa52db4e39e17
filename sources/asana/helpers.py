"""Plain functions that turn Asana's JSON into rows of the raw tables (see settings.COLUMNS), and
read the source's list options (workspaces, teams)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

from .settings import BRIDGES, COLUMNS, REFS, TOMBSTONE


def gid_of(ref: Any) -> Optional[str]:
    """``{"gid": "12", "resource_type": "user"}`` or ``"12"`` -> ``"12"``; anything else -> None."""
    if isinstance(ref, dict):
        gid = ref.get("gid")
        return str(gid) if gid is not None else None
    if isinstance(ref, (str, int)) and ref != "":
        return str(ref)
    return None


def gids_of(refs: Any) -> list[str]:
    if not isinstance(refs, list):
        return []
    return [g for g in (gid_of(r) for r in refs) if g is not None]


def pick(obj: dict, *fields: str) -> dict:
    return {f: obj.get(f) for f in fields}


def workspace_row(w: dict) -> dict:
    domains = w.get("email_domains")
    return {
        "gid": w["gid"], "name": w.get("name"), "is_organization": w.get("is_organization"),
        "email_domains": ",".join(domains) if isinstance(domains, list) else domains,
    }


def custom_field_rows(cf: dict, workspace_gid: str) -> tuple[dict, list[dict]]:
    row = pick(cf, "gid", "name", "description", "precision", "is_global_to_workspace")
    row["resource_subtype"] = cf.get("resource_subtype") or cf.get("type")
    row["workspace_gid"] = workspace_gid
    options = [
        {"custom_field_gid": cf["gid"], "gid": o["gid"], "name": o.get("name"), "color": o.get("color"),
         "enabled": o.get("enabled")}
        for o in cf.get("enum_options") or [] if isinstance(o, dict) and o.get("gid")
    ]
    return row, options


def _names(values: Any) -> Optional[str]:
    if not isinstance(values, list):
        return None
    return ",".join(str(v.get("name")) for v in values if isinstance(v, dict))


def custom_field_value_row(task_gid: str, cf: dict) -> dict:
    enum_value = cf.get("enum_value") if isinstance(cf.get("enum_value"), dict) else None
    multi = cf.get("multi_enum_values")
    date_value = cf.get("date_value") if isinstance(cf.get("date_value"), dict) else None
    people = cf.get("people_value")
    return {
        "task_gid": task_gid,
        "custom_field_gid": cf["gid"],
        "custom_field_name": cf.get("name"),
        "resource_subtype": cf.get("resource_subtype") or cf.get("type"),
        "text_value": cf.get("text_value"),
        "number_value": cf.get("number_value"),
        "enum_value_gid": gid_of(enum_value),
        "enum_value_name": enum_value.get("name") if enum_value else None,
        "multi_enum_value_gids": ",".join(gids_of(multi)) if isinstance(multi, list) else None,
        "multi_enum_value_names": _names(multi),
        "date_value": (date_value.get("date") or (date_value.get("date_time") or "")[:10] or None) if date_value else None,
        "people_value_gids": ",".join(gids_of(people)) if isinstance(people, list) else None,
        "display_value": cf.get("display_value"),
    }


def task_rows(task: dict) -> dict[str, list[dict]]:
    """One task -> rows per table: ``tasks`` plus every bridge table.

    Each bridge gets a tombstone row for the task (hard-deleted on load) so that, with the
    task gid as merge key, a task whose last tag was removed still has its old rows replaced.
    """
    gid = str(task["gid"])
    row = pick(task, "gid", "name", "resource_subtype", "completed", "completed_at", "created_at", "modified_at",
               "due_on", "due_at", "start_on", "start_at", "notes", "html_notes", "num_subtasks", "num_likes",
               "permalink_url")
    row["gid"] = gid
    row["workspace_gid"] = gid_of(task.get("workspace"))
    row["parent_gid"] = gid_of(task.get("parent"))
    row["assignee_gid"] = gid_of(task.get("assignee"))
    row["completed_by_gid"] = gid_of(task.get("completed_by"))
    row["is_deleted"] = False
    row["deleted_detected_at"] = None

    memberships = []
    seen_projects = set()
    for m in task.get("memberships") or []:
        project_gid = gid_of(m.get("project")) if isinstance(m, dict) else None
        if project_gid and project_gid not in seen_projects:
            seen_projects.add(project_gid)
            memberships.append({"task_gid": gid, "project_gid": project_gid,
                                "section_gid": gid_of(m.get("section"))})
    rows = {
        "tasks": [row],
        "task_memberships": memberships,
        "task_tags": [{"task_gid": gid, "tag_gid": g} for g in dict.fromkeys(gids_of(task.get("tags")))],
        "task_followers": [{"task_gid": gid, "user_gid": g} for g in dict.fromkeys(gids_of(task.get("followers")))],
        "task_dependencies": [{"task_gid": gid, "depends_on_gid": g}
                              for g in dict.fromkeys(gids_of(task.get("dependencies")))],
        "task_dependents": [{"task_gid": gid, "dependent_gid": g}
                            for g in dict.fromkeys(gids_of(task.get("dependents")))],
        "task_custom_field_values": [custom_field_value_row(gid, cf) for cf in task.get("custom_fields") or []
                                     if isinstance(cf, dict) and cf.get("gid")],
    }
    row["sync_fingerprint"] = fingerprint(row, rows)
    for table, (parent_key, child_key) in BRIDGES.items():
        rows[table].append(tombstone(parent_key, gid, child_key))
    return rows


def fingerprint(task_row: dict, rows: dict[str, list[dict]]) -> str:
    """Changes to a task that Asana does not reflect in ``modified_at`` (moves, tags, followers,
    dependents) still change this, so a reconciling run rewrites, and re-reads the stories of,
    exactly the tasks that changed."""
    parts = [str(task_row.get("modified_at")), str(task_row.get("parent_gid")), str(task_row.get("num_subtasks"))]
    for table in ("task_memberships", "task_tags", "task_followers", "task_dependencies", "task_dependents"):
        parts.append("|".join(sorted(",".join(str(v) for v in r.values()) for r in rows[table])))
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:20]


def deleted_rows(last_known: list[dict], detected_at: str) -> list[dict]:
    """Objects Asana answers 404 for, kept with their last known values and marked deleted."""
    rows = []
    for known in last_known:
        row = {k: v for k, v in known.items() if not k.startswith("_dlt") and k != TOMBSTONE}
        row["is_deleted"] = True
        row["deleted_detected_at"] = detected_at
        rows.append(row)
    return rows


def deleted_task_rows(last_known: list[dict], detected_at: str) -> dict[str, list[dict]]:
    """Tasks Asana answers 404 for: marked deleted (``deleted_rows``) and removed from every bridge table."""
    rows: dict[str, list[dict]] = {"tasks": deleted_rows(last_known, detected_at)}
    for table, (parent_key, child_key) in BRIDGES.items():
        rows[table] = [tombstone(parent_key, row["gid"], child_key) for row in last_known]
    return rows


def _date_part(dates: Any, key: str) -> Optional[str]:
    return dates.get(key) if isinstance(dates, dict) else None


def story_row(story: dict, task_gid: str) -> dict:
    row = pick(story, "gid", "created_at", "resource_subtype", "type", "text", "is_pinned", "old_text_value",
               "new_text_value", "old_number_value", "new_number_value", "old_name", "new_name")
    row["task_gid"] = gid_of(story.get("target")) or task_gid
    row["created_by_gid"] = gid_of(story.get("created_by"))
    row["old_section_gid"] = gid_of(story.get("old_section"))
    row["new_section_gid"] = gid_of(story.get("new_section"))
    row["assignee_gid"] = gid_of(story.get("assignee"))
    row["old_due_on"] = _date_part(story.get("old_dates"), "due_on")
    row["new_due_on"] = _date_part(story.get("new_dates"), "due_on")
    row["old_due_at"] = _date_part(story.get("old_dates"), "due_at")
    row["new_due_at"] = _date_part(story.get("new_dates"), "due_at")
    row["custom_field_gid"] = gid_of(story.get("custom_field"))
    row["old_enum_value_gid"] = gid_of(story.get("old_enum_value"))
    row["new_enum_value_gid"] = gid_of(story.get("new_enum_value"))
    row["old_date_value"] = _date_part(story.get("old_date_value"), "due_on") or _date_part(
        story.get("old_date_value"), "date")
    row["new_date_value"] = _date_part(story.get("new_date_value"), "due_on") or _date_part(
        story.get("new_date_value"), "date")
    return row


def parse_ts(value: Optional[str]) -> Optional[datetime]:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_ts(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def cursor_with_lookback(cursor: Optional[str], lookback_seconds: int) -> Optional[str]:
    parsed = parse_ts(cursor)
    return format_ts(parsed - timedelta(seconds=lookback_seconds)) if parsed else None


def max_ts(current: Optional[str], candidate: Optional[str]) -> Optional[str]:
    if not candidate:
        return current
    if not current:
        return candidate
    return candidate if parse_ts(candidate) > parse_ts(current) else current



def _type_of(ref: Any) -> Optional[str]:
    return ref.get("resource_type") if isinstance(ref, dict) else None


def copy_row(table: str, obj: dict, **context: Any) -> dict:
    """An API object -> a row of ``table``: same-named scalar fields, ``*_gid`` from references,
    ``context`` (where the object was found) for what the object does not say itself."""
    columns = COLUMNS[table]
    row = {c: obj.get(c) for c in columns if c in obj and not isinstance(obj.get(c), (dict, list))}
    for column, field in REFS.get(table, {}).items():
        row[column] = gid_of(obj.get(field))
    if table == "status_updates":
        row["parent_type"] = _type_of(obj.get("parent"))
    elif table == "goal_relationships":
        row["supporting_resource_type"] = _type_of(obj.get("supporting_resource"))
    elif table == "webhooks":
        row["resource_type"] = _type_of(obj.get("resource"))
    elif table == "custom_field_settings":
        row["parent_gid"] = row.get("parent_gid") or gid_of(obj.get("project"))
        row["parent_type"] = _type_of(obj.get("parent"))
    elif table == "goals":
        metric = obj.get("metric") if isinstance(obj.get("metric"), dict) else {}
        row["metric_unit"] = metric.get("unit")
        current, target, initial = (metric.get("current_number_value"), metric.get("target_number_value"),
                                    metric.get("initial_number_value"))
        # Progress is computed once, in stg_asana__goal.
        row["metric_current_value"], row["metric_target_value"], row["metric_initial_value"] = current, target, initial
    for column, value in context.items():
        if row.get(column) is None:
            row[column] = value
    return row


def tombstone(parent_key: str, parent_gid: str, child_key: str = "gid") -> dict:
    """A row that, hard-deleted on load, clears a parent's rows (delete-insert on the parent key)
    before its current ones land. Its own key is unique per parent so no two markers collide."""
    return {parent_key: parent_gid, child_key: f"tombstone:{parent_gid}" if child_key == "gid" else "",
            TOMBSTONE: True}


DateWindow = tuple[date, Optional[date]]


def split_date_window(window: DateWindow, seen: list[Optional[str]], today: date) -> Optional[list[DateWindow]]:
    """Two smaller windows covering ``window`` (``(first day, last day or None for open-ended)``),
    or None when it is a single day and cannot be split.

    An open-ended window splits at today. A closed one splits at the median ``entered_on`` of what
    the truncated listing did return (so data bunched in recent months splits where it lies), or
    at its midpoint when that says nothing.
    """
    start, end = window
    if end is None:
        pivot = max(start, today)
        return [(start, pivot), (pivot + timedelta(days=1), None)]
    if start >= end:
        return None
    dates = sorted(d for d in (_as_date(s) for s in seen) if d is not None and start <= d < end)
    pivot = dates[len(dates) // 2] if dates else start + (end - start) // 2
    return [(start, pivot), (pivot + timedelta(days=1), end)]


def plan_date_windows(plan: Optional[dict], first_day: date) -> list[DateWindow]:
    """The ``entered_on`` windows to list this run, from the plan the previous run ended with.

    A plan is what ``Listings.time_tracking_entries`` returns and the time tracking resource keeps
    in its state, per workspace::

        {"windows": [["1900-01-01", "2026-03-14", 9120], ["2026-03-15", null, 4410]],
         "cut_after": 10000}

    (each window's first and last day, null for open-ended, and how many entries it held; how many
    entries Asana returned before it cut a window). Starting from those windows reads each entry
    once; starting from one open-ended window would re-read every page before each cut, every run.
    Neighbours are joined while together they held at most half of ``cut_after``, so windows that
    emptied do not accumulate and a joined window has room to grow. A missing or malformed plan
    (windows that do not tile ``first_day`` onwards) gives the single open-ended window.
    """
    fallback = [(first_day, None)]
    try:
        windows = [(date.fromisoformat(w[0]), date.fromisoformat(w[1]) if w[1] else None, int(w[2]))
                   for w in (plan or {}).get("windows") or []]
        room = int((plan or {}).get("cut_after") or 0) // 2
    except (TypeError, ValueError, IndexError):
        return fallback
    tiled = bool(windows) and windows[0][0] == first_day and windows[-1][1] is None and all(
        a[1] is not None and b[0] == a[1] + timedelta(days=1) for a, b in zip(windows, windows[1:]))
    if not tiled:
        return fallback
    joined = [windows[0]]
    for start, end, count in windows[1:]:
        last_start, _, last_count = joined[-1]
        if last_count + count <= room:
            joined[-1] = (last_start, end, last_count + count)
        else:
            joined.append((start, end, count))
    return [(start, end) for start, end, _ in joined]


def _as_date(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def kept_rows(known: list[dict], read_keys: set[str], key: str = "gid") -> list[dict]:
    """Warehouse rows a partial listing did not reach, re-written as they are so that replacing
    their parent does not delete them (what was read is kept, what was not is not lost)."""
    return [{k: v for k, v in row.items() if not k.startswith("_dlt")} for row in known
            if row.get(key) not in read_keys]
