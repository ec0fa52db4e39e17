"""A small but nasty raw ``asana_raw`` dataset (docs/CONTRACTS.md section 2), loaded with dlt.

Traps included on purpose: a task created and completed the same day, a task completed, reopened and completed
again (T10), one reopened and open now (T2), one whose last completion has no story (T11), a multi-project task whose
projects share a team, subtasks, tasks without assignee, stories without author and by an unknown
user, deleted tasks (is_deleted true) and is_deleted null, a completion at 23:30 UTC (wrong date in any
non-UTC session), completed without completed_at, unicode / quotes / commas in names, an all-null
column, an unused tag, an archived project, a project without team or owner, a second workspace.

Section 3 tables (full coverage): a deleted project / section / tag (is_deleted true; the others null or
false), nested portfolios with a cycle, a deleted nested portfolio, a deleted and an unknown project in a
portfolio, a task in two of a portfolio's projects, status updates of several parents (one without
created_at), goals supporting goals / projects / portfolios / tasks (some deleted), time tracking on a
multi-project task with and without attributable_to, attributable_to a deleted project, on a task without
project, on a deleted task, by an unknown user and without entered_on.

All timestamps are fixed in the past (January 2025) so that exact-value checks on completed tasks
do not depend on the day the tests run, except the due times of two open tasks in W2 (T12, T13), set
around the time the tests run (``NOW``, fixed once per process so that both engines load the same rows):
T12's due date is yesterday (UTC) but its due time is still ahead; T13's due date is today but its due
time has just passed.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import dlt

from pipelines.models import RAW_TABLES

UTC = timezone.utc
BASE = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # a Monday
NOW = datetime.now(UTC).replace(second=0, microsecond=0)  # once per process: both engines see the same rows


def ts(day: float, hour: Optional[float] = None) -> datetime:
    """BASE + ``day`` days (optionally at ``hour`` UTC that day)."""
    if hour is None:
        return BASE + timedelta(days=day)
    d = BASE.replace(hour=0) + timedelta(days=day)
    return d + timedelta(hours=hour)


def d(day: int) -> date:
    return (BASE + timedelta(days=day)).date()


_DLT_TYPES = {"text": "text", "boolean": "bool", "timestamptz": "timestamp", "date": "date",
              "bigint": "bigint", "double": "double"}


def dlt_columns(table: str) -> dict[str, dict[str, Any]]:
    return {c: {"data_type": _DLT_TYPES[t], "nullable": True} for c, t in RAW_TABLES[table].items()}


def _task(gid: str, name: str, ws: str = "W1", *, created: datetime, completed: Optional[datetime] = None,
          is_completed: Optional[bool] = None, assignee: Optional[str] = None, parent: Optional[str] = None,
          due_on: Optional[date] = None, due_at: Optional[datetime] = None, completed_by: Optional[str] = None,
          is_deleted: Optional[bool] = False, num_subtasks: int = 0) -> dict[str, Any]:
    return {
        "gid": gid, "name": name, "resource_subtype": "default_task", "workspace_gid": ws, "parent_gid": parent,
        "assignee_gid": assignee,
        "completed": is_completed if is_completed is not None else completed is not None,
        "completed_at": completed, "completed_by_gid": completed_by, "created_at": created,
        "modified_at": completed or created, "due_on": due_on, "due_at": due_at, "start_on": None,
        "start_at": None, "notes": f"notes of {name}", "html_notes": None, "num_subtasks": num_subtasks,
        "num_likes": 0, "permalink_url": f"https://app.asana.com/0/0/{gid}", "is_deleted": is_deleted,
        "deleted_detected_at": ts(20) if is_deleted else None,
    }


def _story(gid: str, task: str, at: datetime, by: Optional[str], subtype: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in RAW_TABLES["stories"]}
    row.update(gid=gid, task_gid=task, created_at=at, created_by_gid=by, resource_subtype=subtype,
               type="comment" if subtype == "comment_added" else "system", text=kw.pop("text", subtype),
               is_pinned=False)
    row.update(kw)
    return row


def raw_rows() -> dict[str, list[dict[str, Any]]]:
    workspaces = [
        {"gid": "W1", "name": "Acme ⚙ Org", "is_organization": True, "email_domains": "acme.test,acme.example"},
        {"gid": "W2", "name": "Ünïcode Space", "is_organization": False, "email_domains": None},
    ]
    users = [
        {"gid": "U1", "name": "Alice", "email": "alice@acme.test"},
        {"gid": "U2", "name": "Bøb Ærø", "email": "bob@acme.test"},
        {"gid": "U3", "name": "Carol, \"CJ\"", "email": "carol@acme.test"},
        {"gid": "U4", "name": "李雷", "email": None},
        {"gid": "U6", "name": "Idle User", "email": "idle@acme.test"},
    ]  # U5 (author of some stories) is unknown: a deactivated user
    workspace_users = [{"workspace_gid": w, "user_gid": u} for w, u in
                       [("W1", "U1"), ("W1", "U2"), ("W1", "U3"), ("W1", "U4"), ("W1", "U6"), ("W2", "U1")]]
    teams = [
        {"gid": "TM1", "name": "Engineering", "description": "eng", "organization_gid": "W1",
         "visibility": "secret", "permalink_url": None},
        {"gid": "TM2", "name": "Design & Brand", "description": None, "organization_gid": "W1",
         "visibility": "public", "permalink_url": None},
        {"gid": "TM3", "name": "Équipe", "description": None, "organization_gid": "W2",
         "visibility": "public", "permalink_url": None},
    ]
    team_memberships = [
        {"gid": f"TMM{i}", "team_gid": t, "user_gid": u, "is_guest": False, "is_admin": i == 1,
         "is_limited_access": False}
        for i, (t, u) in enumerate([("TM1", "U1"), ("TM1", "U2"), ("TM1", "U3"), ("TM2", "U4"), ("TM3", "U1")], 1)
    ]

    def project(gid: str, name: str, ws: str, team: Optional[str], owner: Optional[str], archived: bool = False,
                completed: bool = False, is_deleted: Optional[bool] = None) -> dict[str, Any]:
        return {"is_deleted": is_deleted, "deleted_detected_at": ts(19) if is_deleted else None,
                "gid": gid, "name": name, "workspace_gid": ws, "team_gid": team, "owner_gid": owner,
                "archived": archived, "color": None, "created_at": ts(-10), "modified_at": ts(-1),
                "due_on": None, "start_on": None, "notes": "", "privacy_setting": "public_to_workspace",
                "completed": completed, "completed_at": ts(15) if completed else None, "default_view": "board",
                "permalink_url": f"https://app.asana.com/0/{gid}"}

    projects = [
        project("P1", "Roadmap 2025", "W1", "TM1", "U1"),
        project("P2", "Website, \"v2\"", "W1", "TM1", "U2"),
        project("P3", "Brand refresh", "W1", "TM2", None, archived=True),
        project("P4", "Projet été", "W2", "TM3", "U1", completed=True),
        project("P5", "Loose ends", "W1", None, None, is_deleted=False),
        project("P6", "Old initiative", "W1", "TM1", "U2", is_deleted=True),  # deleted: gone from marts
    ]
    sections = [
        {"gid": g, "name": n, "project_gid": p, "created_at": ts(-10, 10 + i)}
        for i, (g, n, p) in enumerate([
            ("S11", "Backlog", "P1"), ("S12", "Doing", "P1"), ("S13", "Done ✅", "P1"),
            ("S21", "To do", "P2"), ("S22", "Done", "P2"), ("S31", "(no section)", "P3"),
            ("S41", "Untitled", "P4"), ("S51", "Misc", "P5"), ("S61", "Old column", "P6")])
    ] + [{"gid": "S14", "name": "Removed", "project_gid": "P1", "created_at": ts(-9), "is_deleted": True,
          "deleted_detected_at": ts(19)}]
    tags = [
        {"gid": "G1", "name": "urgent", "workspace_gid": "W1", "color": "red", "notes": None,
         "created_at": ts(-5), "permalink_url": None},
        {"gid": "G2", "name": "bug 🐛", "workspace_gid": "W1", "color": None, "notes": None,
         "created_at": ts(-5), "permalink_url": None},
        {"gid": "G3", "name": "unused", "workspace_gid": "W1", "color": None, "notes": None,
         "created_at": ts(-5), "permalink_url": None, "is_deleted": False},
        {"gid": "G4", "name": "obsolete", "workspace_gid": "W1", "color": None, "notes": None,
         "created_at": ts(-5), "permalink_url": None, "is_deleted": True, "deleted_detected_at": ts(19)},
    ]
    custom_fields = [
        {"gid": "CF1", "name": "Priority", "workspace_gid": "W1", "resource_subtype": "enum", "description": None,
         "precision": None, "is_global_to_workspace": True},
        {"gid": "CF2", "name": "Estimate (h)", "workspace_gid": "W1", "resource_subtype": "number",
         "description": None, "precision": 1, "is_global_to_workspace": False},
        {"gid": "CF3", "name": "Remarque", "workspace_gid": "W1", "resource_subtype": "text", "description": None,
         "precision": None, "is_global_to_workspace": False},
        {"gid": "CF4", "name": "Platforms", "workspace_gid": "W1", "resource_subtype": "multi_enum",
         "description": None, "precision": None, "is_global_to_workspace": False},
    ]
    custom_field_enum_options = [
        {"custom_field_gid": "CF1", "gid": "E1", "name": "High", "color": "red", "enabled": True},
        {"custom_field_gid": "CF1", "gid": "E2", "name": "Low", "color": "green", "enabled": True},
        {"custom_field_gid": "CF4", "gid": "E3", "name": "iOS", "color": None, "enabled": True},
        {"custom_field_gid": "CF4", "gid": "E4", "name": "Android", "color": None, "enabled": False},
    ]
    tasks = [
        # created and completed the same day, in two projects of the same team
        _task("T1", "Ship v1", created=ts(0), completed=ts(0, 17), assignee="U1", due_on=d(1), completed_by="U1"),
        # open, overdue, two tags, followers, custom fields, has a subtask
        _task("T2", "Fix login", created=ts(0, 10), assignee="U2", due_on=d(3), num_subtasks=1),
        # completed late, never assigned now
        _task("T3", "Write docs", created=ts(1), completed=ts(10, 12), due_on=d(5), completed_by="U2"),
        # subtask of T2, no project, no due date
        _task("T4", "Sub: repro bug", created=ts(2), assignee="U3", parent="T2"),
        # deleted: must vanish from marts
        _task("T5", "Deleted thing", created=ts(1), assignee="U1", due_on=d(2), is_deleted=True),
        # is_deleted null; completed at 23:30 UTC; created one minute before midnight
        _task("T6", "Logo", created=ts(1, 23.99), completed=ts(3, 23.5), assignee="U4", due_on=d(3),
              is_deleted=None, completed_by="U4"),
        # second workspace
        _task("T7", "Traduire", "W2", created=ts(5), assignee="U1", due_on=d(6)),
        # completed without completed_at
        _task("T8", "Legacy import", created=ts(2), is_completed=True, assignee="U2"),
        # unicode, quotes and commas; due far in the future; two projects of different teams (one none)
        _task("T9", "Résumé 📄 \"quoted\", comma", created=ts(3), assignee="U2", due_on=date(2099, 1, 1)),
        # full life cycle with history
        _task("T10", "Checkout flow", created=ts(2, 8), completed=ts(8, 16), assignee="U3", due_on=d(9),
              due_at=ts(9, 15), completed_by="U3"),
        # subtask completed, parent T10; was assigned to U1 at creation, then unassigned (ST70)
        _task("T11", "Sub: tests", created=ts(4), completed=ts(5), assignee=None, parent="T10"),
        # due date yesterday (UTC) but the due time is still ahead: not overdue
        _task("T12", "Deadline tonight", "W2", created=ts(6), assignee="U1", due_on=NOW.date() - timedelta(days=1),
              due_at=NOW + timedelta(hours=6)),
        # due date today but the due time passed a minute ago: overdue, 0 whole days late
        _task("T13", "Deadline this morning", "W2", created=ts(6), due_on=NOW.date(),
              due_at=NOW - timedelta(minutes=1)),
    ]
    task_memberships = [
        {"task_gid": t, "project_gid": p, "section_gid": s} for t, p, s in [
            ("T1", "P1", "S13"), ("T1", "P2", "S22"), ("T2", "P1", "S12"), ("T3", "P2", "S22"),
            ("T5", "P1", "S11"), ("T6", "P3", "S31"), ("T7", "P4", "S41"), ("T8", "P1", "S11"),
            ("T9", "P1", "S11"), ("T9", "P5", "S51"), ("T10", "P1", "S13"), ("T10", "P2", "S21"),
            ("T2", "P6", "S61")]  # T2 also sits in the deleted project P6
    ]
    task_tags = [{"task_gid": t, "tag_gid": g} for t, g in
                 [("T1", "G1"), ("T2", "G1"), ("T2", "G2"), ("T5", "G1"), ("T9", "G2"), ("T3", "G2"),
                  ("T1", "G4")]]  # G4 is deleted
    task_followers = [{"task_gid": t, "user_gid": u} for t, u in
                      [("T2", "U1"), ("T2", "U3"), ("T1", "U1"), ("T10", "U2"), ("T10", "U3"), ("T10", "U5")]]
    task_dependencies = [{"task_gid": "T2", "depends_on_gid": "T4"}, {"task_gid": "T10", "depends_on_gid": "T11"},
                         {"task_gid": "T9", "depends_on_gid": "T5"},  # T5 is deleted: not counted
                         {"task_gid": "T5", "depends_on_gid": "T1"}]

    def cfv(task: str, cf: str, **kw: Any) -> dict[str, Any]:
        row: dict[str, Any] = {c: None for c in RAW_TABLES["task_custom_field_values"]}
        meta = {c["gid"]: c for c in custom_fields}[cf]
        row.update(task_gid=task, custom_field_gid=cf, custom_field_name=meta["name"],
                   resource_subtype=meta["resource_subtype"])
        row.update(kw)
        return row

    task_custom_field_values = [
        cfv("T2", "CF1", enum_value_gid="E1", enum_value_name="High", display_value="High"),
        cfv("T2", "CF2", number_value=3.5, display_value="3.5"),
        cfv("T1", "CF2", number_value=1.0, display_value="1.0"),
        cfv("T9", "CF3", text_value="naïve, \"text\"\nline2", display_value="naïve, \"text\"\nline2"),
        cfv("T10", "CF4", multi_enum_value_gids="E3,E4", multi_enum_value_names="iOS,Android",
            display_value="iOS, Android"),
        cfv("T10", "CF1", enum_value_gid="E2", enum_value_name="Low", display_value="Low"),
        cfv("T3", "CF1", display_value=None),  # field present but empty
    ]
    stories = [
        # T1: same-day life, moved Doing -> Done, completed
        _story("ST01", "T1", ts(0, 9.5), "U1", "assigned", assignee_gid="U1"),
        _story("ST02", "T1", ts(0, 16), "U1", "section_changed", old_section_gid="S12", new_section_gid="S13"),
        _story("ST03", "T1", ts(0, 17), "U1", "marked_complete"),
        # T2: comments (one without author), assignment, custom field changes
        _story("ST10", "T2", ts(0, 11), None, "comment_added", text="who owns this?"),
        _story("ST11", "T2", ts(0, 12), "U1", "assigned", assignee_gid="U2"),
        _story("ST12", "T2", ts(1), "U1", "enum_custom_field_changed", custom_field_gid="CF1",
               old_enum_value_gid="E2", new_enum_value_gid="E1"),
        _story("ST13", "T2", ts(1, 10), "U2", "number_custom_field_changed", custom_field_gid="CF2",
               old_number_value=2.0, new_number_value=3.5),
        _story("ST14", "T2", ts(1, 11), "U2", "comment_added", text="on it 👍"),
        _story("ST15", "T2", ts(1, 12), "U2", "section_changed", old_section_gid="S11", new_section_gid="S12"),
        # ... completed on the 8th, reopened on the 10th: open now, closed at the end of the 8th and the 9th
        _story("ST16", "T2", ts(2, 9), "U2", "marked_complete"),
        _story("ST17", "T2", ts(4, 9), "U1", "marked_incomplete"),
        # T3: assigned then unassigned, due date moved, completed
        _story("ST20", "T3", ts(1, 10), "U1", "assigned", assignee_gid="U2"),
        _story("ST21", "T3", ts(2), "U2", "unassigned"),
        _story("ST22", "T3", ts(2, 10), "U2", "due_date_changed", old_due_on=d(4), new_due_on=d(5)),
        _story("ST23", "T3", ts(10, 12), "U2", "marked_complete"),
        # T5 (deleted): must not show anywhere
        _story("ST30", "T5", ts(1, 12), "U1", "comment_added", text="gone"),
        _story("ST31", "T5", ts(1, 13), "U1", "assigned", assignee_gid="U1", text="Alice assigned to Alice"),
        # T10: full history, authors missing / unknown
        _story("ST40", "T10", ts(2, 9), "U1", "assigned", assignee_gid="U2"),
        _story("ST41", "T10", ts(3), "U1", "section_changed", old_section_gid="S11", new_section_gid="S12"),
        _story("ST42", "T10", ts(3, 12), "U1", "due_date_changed", new_due_on=d(7)),
        _story("ST43", "T10", ts(4), "U5", "assigned", assignee_gid="U3"),
        _story("ST44", "T10", ts(4, 12), None, "comment_added", text="ping"),
        _story("ST45", "T10", ts(5), "U3", "due_date_changed", old_due_on=d(7), new_due_on=d(9),
               new_due_at=ts(9, 15)),
        _story("ST46", "T10", ts(6), None, "section_changed", old_section_gid="S12", new_section_gid="S13"),
        _story("ST47", "T10", ts(6, 12), "U3", "text_custom_field_changed", custom_field_gid="CF3",
               old_text_value=None, new_text_value="first"),
        _story("ST48", "T10", ts(7), "U3", "marked_complete"),
        _story("ST49", "T10", ts(7, 12), "U3", "marked_incomplete"),
        _story("ST50", "T10", ts(8, 16), "U3", "marked_complete"),
        _story("ST51", "T10", ts(8, 17), "U1", "comment_added", text="🎉 done"),
        _story("ST52", "T10", ts(5, 1), "U1", "date_custom_field_changed", custom_field_gid="CF9",
               new_date_value=d(30)),  # unknown custom field
        # T6: completed 23:30 UTC
        _story("ST60", "T6", ts(3, 23.5), "U4", "marked_complete"),
        # T11 was created assigned to U1 (no story for that): the unassignment names U1 as removed
        _story("ST70", "T11", ts(4, 12), "U3", "unassigned", assignee_gid="U1", text="Carol unassigned from Alice"),
        # T11 completed and reopened on the 10th; its final completion (completed_at, the 11th) has no story
        _story("ST71", "T11", ts(4, 13), "U3", "marked_complete"),
        _story("ST72", "T11", ts(4, 14), "U3", "marked_incomplete"),
    ]
    attachments = [
        {"gid": "A1", "task_gid": "T1", "name": "spec.pdf", "resource_subtype": "asana", "created_at": ts(0, 10),
         "size": 1234, "host": "asana", "view_url": None, "permanent_url": None},
    ]
    workspace_memberships = [
        {"gid": f"WM{i}", "workspace_gid": w, "user_gid": u, "is_active": u != "U6", "is_admin": u == "U1",
         "is_guest": False, "is_view_only": False, "created_at": ts(-30)}
        for i, (w, u) in enumerate([("W1", "U1"), ("W1", "U2"), ("W1", "U3"), ("W1", "U4"), ("W1", "U6"),
                                    ("W2", "U1")], 1)
    ]
    project_memberships = [
        {"gid": f"PM{i}", "project_gid": p, "user_gid": u, "access_level": a, "write_access": w}
        for i, (p, u, a, w) in enumerate([("P1", "U1", "admin", "full_write"), ("P1", "U2", "editor", "full_write"),
                                          ("P2", "U3", "commenter", "comment_only")], 1)
    ]

    def status(gid: str, parent: str, parent_type: str, status_type: str, at: Optional[datetime],
               by: Optional[str], author: Optional[str] = None) -> dict[str, Any]:
        return {"gid": gid, "parent_gid": parent, "parent_type": parent_type, "resource_subtype": status_type,
                "status_type": status_type, "title": f"{status_type} update, week of {parent}", "text": "…",
                "created_at": at, "modified_at": at, "created_by_gid": by, "author_gid": author}

    status_updates = [
        status("SU1", "PF1", "portfolio", "on_track", ts(3), "U1"),
        status("SU2", "PF1", "portfolio", "at_risk", ts(10), "U1", "U2"),  # latest of PF1, authored by U2
        status("SU3", "P1", "project", "off_track", ts(12), "U1"),  # a project's: never PF1's latest
        status("SU4", "GL1", "goal", "on_track", ts(5), "U3"),
        status("SU5", "PF2", "portfolio", "achieved", None, "U2"),  # no created_at: never the latest
        status("SU6", "PF2", "portfolio", "on_hold", ts(1), "U2"),
    ]
    portfolios = [
        {"gid": g, "name": n, "workspace_gid": "W1", "owner_gid": o, "color": None, "created_at": ts(-20),
         "start_on": d(0), "due_on": d(90), "public": True, "permalink_url": None, "is_deleted": dl,
         "deleted_detected_at": ts(19) if dl else None}
        for g, n, o, dl in [("PF1", "Company 🏢", "U1", None), ("PF2", "Eng, \"web\"", "U2", False),
                            ("PF3", "Gone", "U1", True), ("PF4", "Empty", "U6", None)]
    ]
    portfolio_items = [
        {"portfolio_gid": pf, "item_gid": it, "item_type": ty} for pf, it, ty in [
            ("PF1", "P1", "project"), ("PF1", "PF2", "portfolio"), ("PF1", "PF3", "portfolio"),
            ("PF1", "P6", "project"), ("PF1", "PX", "project"),  # deleted and unknown projects
            ("PF2", "P2", "project"), ("PF2", "P1", "project"), ("PF2", "PF1", "portfolio"),  # a cycle
            ("PF3", "P3", "project")]  # only reachable through the deleted PF3
    ]
    portfolio_memberships = [
        {"gid": f"PFM{i}", "portfolio_gid": pf, "user_gid": u, "access_level": "editor"}
        for i, (pf, u) in enumerate([("PF1", "U1"), ("PF1", "U2"), ("PF2", "U2")], 1)
    ]
    time_periods = [
        {"gid": "TP1", "workspace_gid": "W1", "display_name": "FY25", "period": "FY", "start_on": date(2025, 1, 1),
         "end_on": date(2025, 12, 31), "parent_gid": None},
        {"gid": "TP2", "workspace_gid": "W1", "display_name": "Q1 FY25", "period": "Q1",
         "start_on": date(2025, 1, 1), "end_on": date(2025, 3, 31), "parent_gid": "TP1"},
    ]

    def goal(gid: str, name: str, owner: Optional[str], team: Optional[str], period: Optional[str],
             initial: Optional[float] = None, current: Optional[float] = None, target: Optional[float] = None,
             ) -> dict[str, Any]:
        return {"gid": gid, "name": name, "notes": None, "workspace_gid": "W1", "team_gid": team, "owner_gid": owner,
                "time_period_gid": period, "start_on": None, "due_on": d(80), "status": "on_track",
                "is_workspace_level": team is None, "metric_unit": "currency" if target is not None else None,
                "metric_current_value": current, "metric_target_value": target, "metric_initial_value": initial}

    goals = [
        goal("GL1", "Grow revenue 💰", "U1", "TM1", "TP2", initial=20.0, current=40.0, target=100.0),
        goal("GL2", "Ship checkout", "U3", None, "TP2"),
        goal("GL3", "Brand, \"new\"", None, "TM2", "TP1", initial=10.0, current=10.0, target=10.0),
    ]
    goal_relationships = [
        {"gid": g, "supported_goal_gid": sg, "supporting_resource_gid": r, "supporting_resource_type": t,
         "resource_subtype": t, "contribution_weight": w}
        for g, sg, r, t, w in [
            ("GR1", "GL1", "GL2", "goal", 0.5), ("GR2", "GL1", "P1", "project", 1.0),
            ("GR3", "GL1", "P6", "project", 1.0),  # deleted project
            ("GR4", "GL1", "PF1", "portfolio", 0.0), ("GR5", "GL2", "T10", "task", None),
            ("GR6", "GL2", "T5", "task", None),  # deleted task
            ("GR7", "GL1", "GL3", "goal", 0.5)]
    ]

    def tte(gid: str, task: str, by: Optional[str], minutes: int, on: Optional[date],
            attributable_to: Optional[str] = None, created: Optional[datetime] = None) -> dict[str, Any]:
        return {"gid": gid, "task_gid": task, "created_by_gid": by, "attributable_to_gid": attributable_to,
                "duration_minutes": minutes, "entered_on": on, "created_at": created or ts(0)}

    time_tracking_entries = [
        tte("TT1", "T1", "U1", 60, d(0)),  # T1 is in P1 and P2: shared
        tte("TT2", "T1", "U1", 30, d(1), attributable_to="P2"),
        tte("TT3", "T2", "U2", 45, d(2)),  # T2 in P1 (and the deleted P6): one project
        tte("TT4", "T2", "U2", 15, d(7)),  # next week
        tte("TT5", "T4", "U3", 20, d(2)),  # subtask without project
        tte("TT6", "T5", "U1", 99, d(2)),  # deleted task
        tte("TT7", "T9", "U2", 40, d(3), attributable_to="P6"),  # deleted project: falls back to P1 and P5
        tte("TT8", "T10", "U5", 10, None, created=ts(4, 23.9)),  # unknown user, no entered_on
        tte("TT9", "T7", "U1", 120, d(6), attributable_to="P4"),  # Sunday: week of the 6th
    ]
    user_task_lists = [
        {"gid": f"UTL{u}", "name": "My tasks", "owner_gid": u, "workspace_gid": "W1"} for u in ("U1", "U2", "U3")
    ]
    custom_field_settings = [
        {"gid": "CFS1", "parent_gid": "P1", "parent_type": "project", "custom_field_gid": "CF1", "is_important": True},
        {"gid": "CFS2", "parent_gid": "P1", "parent_type": "project", "custom_field_gid": "CF2",
         "is_important": False},
        {"gid": "CFS3", "parent_gid": "PF1", "parent_type": "portfolio", "custom_field_gid": "CF1",
         "is_important": True},
    ]
    task_dependents = [{"task_gid": "T4", "dependent_gid": "T2"}, {"task_gid": "T11", "dependent_gid": "T10"},
                       {"task_gid": "T1", "dependent_gid": "T5"},  # T5 is deleted: not counted
                       {"task_gid": "T5", "dependent_gid": "T9"}]
    return {
        "workspaces": workspaces, "users": users, "workspace_users": workspace_users, "teams": teams,
        "team_memberships": team_memberships, "projects": projects, "sections": sections, "tags": tags,
        "custom_fields": custom_fields, "custom_field_enum_options": custom_field_enum_options,
        "tasks": tasks, "task_memberships": task_memberships, "task_tags": task_tags,
        "task_followers": task_followers, "task_dependencies": task_dependencies,
        "task_custom_field_values": task_custom_field_values, "stories": stories, "attachments": attachments,
        "workspace_memberships": workspace_memberships, "project_memberships": project_memberships,
        "status_updates": status_updates, "portfolios": portfolios, "portfolio_items": portfolio_items,
        "portfolio_memberships": portfolio_memberships, "goals": goals, "goal_relationships": goal_relationships,
        "time_periods": time_periods, "time_tracking_entries": time_tracking_entries,
        "user_task_lists": user_task_lists, "custom_field_settings": custom_field_settings,
        "task_dependents": task_dependents,
    }


def load_raw(pipeline: dlt.Pipeline, tables: Optional[dict[str, list[dict[str, Any]]]] = None) -> None:
    """Load ``tables`` (default :func:`raw_rows`) into the pipeline's dataset, replacing what is there."""
    tables = raw_rows() if tables is None else tables
    resources = [
        dlt.resource(rows, name=name, columns=dlt_columns(name), write_disposition="replace",
                     primary_key=None)
        for name, rows in tables.items()
    ]
    fmt = "parquet" if pipeline.destination.destination_name == "duckdb" else None
    info = pipeline.run(resources, loader_file_format=fmt)
    info.raise_on_failed_jobs()


def duckdb_pipeline(db_path: Path, pipelines_dir: Path, name: str = "asana_models_test") -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name=name, destination=dlt.destinations.duckdb(str(db_path)),
                        dataset_name="asana_raw", pipelines_dir=str(pipelines_dir))


def postgres_pipeline(dsn: str, pipelines_dir: Path, name: str = "asana_models_test_pg") -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name=name, destination=dlt.destinations.postgres(dsn),
                        dataset_name="asana_raw", pipelines_dir=str(pipelines_dir))


def query(pipeline, sql: str) -> list[tuple]:
    with pipeline.sql_client() as client:
        return [tuple(r) for r in (client.execute_sql(sql) or [])]


def query_dicts(pipeline, sql: str) -> list[dict]:
    with pipeline.sql_client() as client:
        with client.execute_query(sql) as cur:
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]
