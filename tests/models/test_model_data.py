"""Models on real engines: data tests, DuckDB == PostgreSQL golden equality, exact values on the fixture."""
from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest

from raw_fixture import query, query_dicts


def test_all_models_built(engine, project):
    results = engine._model_results
    assert [r.name for r in results] == project.order()
    assert all(r.status == "ok" for r in results)


def test_data_tests_pass(engine, project):
    results = project.test(engine)
    assert len(results) >= 2 * len(project.models)
    failed = [(r.model, r.test, r.failures, r.error) for r in results if not r.passed]
    assert not failed


def _norm(v):
    if isinstance(v, decimal.Decimal):
        v = float(v)
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None).isoformat()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return v


def _rows(pipeline, model):
    rows = query_dicts(pipeline, f"select * from asana.{model}")
    cols = list(rows[0]) if rows else None
    norm = sorted((tuple(_norm(r[c]) for c in r) for r in rows), key=repr)
    return cols, norm


def test_golden_duckdb_equals_postgres(duck, pg, project):
    """Same raw data, same rows in every model on both engines (PostgreSQL built in a UTC+14 session)."""
    diffs = []
    for model in project.order():
        d_cols, d_rows = _rows(duck, model)
        p_cols, p_rows = _rows(pg, model)
        if d_cols != p_cols and d_rows and p_rows:
            diffs.append(f"{model}: columns differ {d_cols} != {p_cols}")
        elif d_rows != p_rows:
            only_d = [r for r in d_rows if r not in p_rows][:3]
            only_p = [r for r in p_rows if r not in d_rows][:3]
            diffs.append(f"{model}: duckdb-only {only_d} postgres-only {only_p}")
    assert not diffs, "\n".join(diffs)


def one(pipeline, sql):
    rows = query_dicts(pipeline, sql)
    assert len(rows) == 1, rows
    return rows[0]


def test_task_mart_values(engine):
    tasks = {r["task_gid"]: r for r in query_dicts(engine, "select * from asana.asana__task")}
    assert "T5" not in tasks and len(tasks) == 10  # deleted excluded, is_deleted null kept (T6)
    t1 = tasks["T1"]  # created and completed the same day; days open stops at completion
    assert t1["days_open"] == 0 and t1["is_completed"] and t1["was_completed_on_time"] is True
    assert t1["projects"] == "Roadmap 2025, Website, \"v2\"" and t1["number_of_projects"] == 2
    assert t1["projects_sections"] == "Roadmap 2025: Done ✅, Website, \"v2\": Done"
    assert t1["assignee_name"] == "Alice" and t1["assignee_email"] == "alice@acme.test"
    assert t1["custom_fields"] == "Estimate (h): 1.0" and t1["number_of_attachments"] == 1
    t2 = tasks["T2"]
    assert t2["number_of_comments"] == 2  # one comment has no author
    assert t2["tags"] == "urgent, bug 🐛" and t2["followers"] == "Alice, Carol, \"CJ\""
    assert t2["is_overdue"] and t2["days_overdue"] >= 1 and t2["was_completed_on_time"] is None
    assert t2["custom_fields"] == "Priority: High; Estimate (h): 3.5"
    assert t2["number_of_subtasks"] == 1 and t2["number_of_dependencies"] == 1
    assert t2["first_assigned_at"] == dt.datetime(2025, 1, 6, 12, 0)
    t4 = tasks["T4"]
    assert t4["is_subtask"] and t4["parent_task_name"] == "Fix login" and t4["parent_assignee_name"] == "Bøb Ærø"
    assert t4["parent_due_date"] == dt.date(2025, 1, 9) and t4["number_of_projects"] == 0
    t6 = tasks["T6"]  # completed 23:30 UTC: dates computed in UTC whatever the session time zone
    assert t6["days_open"] == 2 and t6["was_completed_on_time"] is True
    assert tasks["T3"]["was_completed_on_time"] is False and tasks["T3"]["assignee_user_gid"] is None
    assert tasks["T3"]["number_of_assignments"] == 1 and tasks["T3"]["has_been_assigned"] is True
    t10 = tasks["T10"]
    assert t10["days_open"] == 6 and abs(t10["days_to_complete"] - (6 + 8 / 24)) < 1e-9
    assert t10["was_completed_on_time"] is True  # due_at 15th 15:00, completed 14th 16:00
    assert t10["number_of_assignments"] == 2 and t10["last_assigned_at"] == dt.datetime(2025, 1, 10, 9, 0)
    assert t10["followers"] == "Bøb Ærø, Carol, \"CJ\", U5"  # unknown follower shown by gid
    assert tasks["T8"]["days_open"] is None and tasks["T8"]["is_completed"]
    assert not tasks["T9"]["is_overdue"]


def test_team_tag_project_user_values(engine):
    team = one(engine, "select * from asana.asana__team where team_gid = 'TM1'")
    # T1 and T10 sit in two projects of the team: counted once
    assert (team["number_of_open_tasks"], team["number_of_tasks_completed"]) == (2, 4)
    assert team["active_projects"] == "Roadmap 2025, Website, \"v2\"" and team["number_of_members"] == 3
    tm2 = one(engine, "select * from asana.asana__team where team_gid = 'TM2'")
    assert tm2["archived_projects"] == "Brand refresh" and tm2["number_of_active_projects"] == 0
    tag = one(engine, "select * from asana.asana__tag where tag_gid = 'G1'")
    assert (tag["number_of_open_tasks"], tag["number_of_assigned_open_tasks"], tag["number_of_tasks_completed"]) \
        == (1, 1, 1)  # T5 is deleted
    assert one(engine, "select number_of_tasks from asana.asana__tag where tag_gid = 'G3'")["number_of_tasks"] == 0
    p1 = one(engine, "select * from asana.asana__project where project_gid = 'P1'")
    assert (p1["number_of_open_tasks"], p1["number_of_tasks_completed"]) == (2, 3)
    assert p1["sections"] == "Backlog, Doing, Done ✅" and p1["owner_name"] == "Alice"
    # completed with close time: T1 (8h) and T10 (6d8h); T8 has no completed_at
    assert abs(p1["avg_close_time_days"] - (8 / 24 + 6 + 8 / 24) / 2) < 1e-9
    assert abs(p1["median_close_time_days"] - p1["avg_close_time_days"]) < 1e-9
    assert p1["users_involved"] == "Alice, Bøb Ærø, Carol, \"CJ\"" and p1["current_status"] == "active"
    assert one(engine, "select current_status from asana.asana__project where project_gid = 'P3'")[
        "current_status"] == "archived"
    u2 = one(engine, "select * from asana.asana__user where user_gid = 'U2'")
    assert (u2["number_of_open_tasks"], u2["number_of_tasks_completed"], u2["number_of_overdue_tasks"]) == (2, 1, 1)
    assert u2["projects_owned"] == "Website, \"v2\"" and u2["projects_working_on"] == "Roadmap 2025, Loose ends"


def test_daily_metrics_values(engine):
    rows = {r["date_day"]: r for r in query_dicts(
        engine, "select * from asana.asana__daily_metrics where workspace_gid = 'W1' "
                "and date_day <= date '2025-01-20'")}
    day0 = rows[dt.date(2025, 1, 6)]  # T1 created+completed, T2 created
    assert (day0["number_of_tasks_created"], day0["number_of_tasks_completed"], day0["number_of_tasks_open"]) \
        == (2, 1, 1)
    assert day0["avg_days_open"] == 0
    day1 = rows[dt.date(2025, 1, 7)]  # + T3, T6 (23:59)
    # assigned from the assignee history: T3 is unassigned now but was assigned on the 7th (ST20, ST21 on the 8th)
    assert (day1["number_of_tasks_open"], day1["number_of_tasks_open_assigned"]) == (3, 3)
    assert abs(day1["avg_days_open"] - 1 / 3) < 1e-9 and abs(day1["avg_days_open_assigned"] - 1 / 3) < 1e-9
    day2 = rows[dt.date(2025, 1, 8)]  # + T4 (no stories: current assignee), T10 (assigned 1h after creation)
    # T8 (completed without completed_at) is never open; T3 unassigned that day
    assert (day2["number_of_tasks_open"], day2["number_of_tasks_open_assigned"]) == (5, 4)
    assert abs(day2["avg_days_open_assigned"] - 3 / 4) < 1e-9  # T2 2, T6 1, T4 0, T10 0
    assert rows[dt.date(2025, 1, 9)]["number_of_tasks_completed"] == 1  # T6 at 23:30 UTC
    assert sum(r["number_of_tasks_completed"] for r in rows.values()) == 5  # T1 T3 T6 T10 T11
    first = query(engine, "select min(date_day), max(date_day) = cast(now() at time zone 'UTC' as date) "
                          "from asana.asana__daily_metrics where workspace_gid = 'W2'")
    assert first[0][0] == dt.date(2025, 1, 11)


def test_history_and_cycle_time_values(engine):
    sec = query_dicts(engine, "select * from asana.asana__task_section_history where task_gid = 'T10' "
                              "order by changed_at")
    assert [(r["from_section_name"], r["to_section_name"], r["changed_by_name"]) for r in sec] == \
        [("Backlog", "Doing", "Alice"), ("Doing", "Done ✅", None)]
    stints = query_dicts(engine, "select * from asana.int_asana__task_section_stint "
                                 "where task_gid = 'T10' and project_gid = 'P1' order by stint_number")
    assert [r["section_gid"] for r in stints] == ["S11", "S12", "S13"]
    assert [round(r["days_in_section"], 6) for r in stints] == [round(25 / 24, 6), 3.0, round(2 + 7 / 24, 6)]
    assert not any(r["is_current"] for r in stints)
    doing = one(engine, "select * from asana.asana__section_cycle_time where section_gid = 'S12'")
    assert doing["number_of_tasks_currently_in_section"] == 1  # T2
    ah = query_dicts(engine, "select * from asana.asana__task_assignee_history where task_gid = 'T3' "
                             "order by valid_from")
    assert [(r["event_type"], r["assignee_user_gid"], r["is_current"]) for r in ah] == \
        [("assigned", "U2", False), ("unassigned", None, True)]
    dd = query_dicts(engine, "select * from asana.asana__task_due_date_history where task_gid = 'T10' "
                             "order by changed_at")
    assert [r["days_moved"] for r in dd] == [None, 2]
    ch = query_dicts(engine, "select event_type from asana.asana__task_completion_history "
                             "where task_gid = 'T10' order by changed_at")
    assert [r["event_type"] for r in ch] == ["completed", "reopened", "completed"]
    cf = {r["story_gid"]: r for r in query_dicts(engine, "select * from asana.asana__task_custom_field_history")}
    assert (cf["ST12"]["old_value"], cf["ST12"]["new_value"]) == ("Low", "High")
    assert cf["ST13"]["new_number_value"] == 3.5 and cf["ST52"]["custom_field_name"] is None
    assert "ST30" not in cf and not query(engine, "select 1 from asana.asana__task_completion_history "
                                                  "where task_gid = 'T5'")


def test_throughput_aging_workload_custom_fields(engine):
    wk = one(engine, "select * from asana.asana__throughput_weekly where workspace_gid = 'W1' "
                     "and week_start = date '2025-01-06'")
    # created T1 T2 T3 T6 T8 T4 T10 T9 T11 (9); completed T1 T6 T11 (T10 and T3 the week after)
    assert (wk["number_of_tasks_created"], wk["number_of_tasks_completed"], wk["net_new_tasks"]) == (9, 3, 6)
    assert wk["median_lead_time_days"] is not None and wk["p90_lead_time_days"] >= wk["median_lead_time_days"]
    aging = query_dicts(engine, "select * from asana.asana__overdue_aging where workspace_gid = 'W1'")
    assert len(aging) == 7 and sum(r["number_of_overdue_tasks"] for r in aging) == 1  # T2
    wl = one(engine, "select * from asana.asana__assignee_workload where assignee_user_gid = 'U2' "
                     "and due_week = date '2025-01-06'")
    assert wl["tasks"] == "Fix login" and wl["is_past_week"] and wl["number_of_overdue_tasks"] == 1
    pivot = query_dicts(engine, "select * from asana.asana__project_custom_fields")
    parsed = {(r["project_gid"], r["task_gid"]): json.loads(r["custom_fields_json"]) for r in pivot}
    assert parsed[("P1", "T2")] == {"Priority": "High", "Estimate (h)": "3.5"}
    assert parsed[("P1", "T9")] == {"Remarque": "naïve, \"text\"\nline2"}
    assert parsed[("P2", "T3")] == {"Priority": None} and parsed[("P1", "T8")] == {}
    long = query(engine, "select count(*) from asana.asana__custom_field_values")
    assert long == [(7,)]
