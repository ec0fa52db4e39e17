"""Models on real engines: data tests, DuckDB == PostgreSQL golden equality, exact values on the fixture."""
from __future__ import annotations

import datetime as dt
import json


from helpers import engine_differences
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


def _rows(pipeline, model):
    rows = query_dicts(pipeline, f"select * from asana_analytics.{model}")
    return (list(rows[0]) if rows else None), [tuple(r.values()) for r in rows]


def test_golden_duckdb_equals_postgres(duck, pg, project):
    """Same raw data, same rows in every model on both engines (PostgreSQL built in a UTC+14 session)."""
    diffs = []
    for model in project.order():
        d_cols, d_rows = _rows(duck, model)
        p_cols, p_rows = _rows(pg, model)
        if d_cols != p_cols and d_rows and p_rows:
            diffs.append(f"{model}: columns differ {d_cols} != {p_cols}")
        else:
            diffs += engine_differences(model, d_rows, p_rows)
    assert not diffs, "\n".join(diffs)


def one(pipeline, sql):
    rows = query_dicts(pipeline, sql)
    assert len(rows) == 1, rows
    return rows[0]


def test_task_mart_values(engine):
    tasks = {r["task_gid"]: r for r in query_dicts(engine, "select * from asana_analytics.asana__task")}
    assert "T5" not in tasks and len(tasks) == 12  # deleted excluded, is_deleted null kept (T6)
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
    team = one(engine, "select * from asana_analytics.asana__team where team_gid = 'TM1'")
    # T1 and T10 sit in two projects of the team: counted once
    assert (team["number_of_open_tasks"], team["number_of_tasks_completed"]) == (2, 4)
    assert team["active_projects"] == "Roadmap 2025, Website, \"v2\"" and team["number_of_members"] == 3
    tm2 = one(engine, "select * from asana_analytics.asana__team where team_gid = 'TM2'")
    assert tm2["archived_projects"] == "Brand refresh" and tm2["number_of_active_projects"] == 0
    tag = one(engine, "select * from asana_analytics.asana__tag where tag_gid = 'G1'")
    assert (tag["number_of_open_tasks"], tag["number_of_assigned_open_tasks"], tag["number_of_tasks_completed"]) \
        == (1, 1, 1)  # T5 is deleted
    assert one(engine, "select number_of_tasks from asana_analytics.asana__tag where tag_gid = 'G3'")["number_of_tasks"] == 0
    p1 = one(engine, "select * from asana_analytics.asana__project where project_gid = 'P1'")
    assert (p1["number_of_open_tasks"], p1["number_of_tasks_completed"]) == (2, 3)
    assert p1["sections"] == "Backlog, Doing, Done ✅" and p1["owner_name"] == "Alice"
    # completed with close time: T1 (8h) and T10 (6d8h); T8 has no completed_at
    assert abs(p1["avg_close_time_days"] - (8 / 24 + 6 + 8 / 24) / 2) < 1e-9
    assert abs(p1["median_close_time_days"] - p1["avg_close_time_days"]) < 1e-9
    assert p1["users_involved"] == "Alice, Bøb Ærø, Carol, \"CJ\"" and p1["current_status"] == "active"
    assert one(engine, "select current_status from asana_analytics.asana__project where project_gid = 'P3'")[
        "current_status"] == "archived"
    u2 = one(engine, "select * from asana_analytics.asana__user where user_gid = 'U2'")
    assert (u2["number_of_open_tasks"], u2["number_of_tasks_completed"], u2["number_of_overdue_tasks"]) == (2, 1, 1)
    assert u2["projects_owned"] == "Website, \"v2\"" and u2["projects_working_on"] == "Roadmap 2025, Loose ends"


def test_daily_metrics_values(engine):
    daily = query_dicts(engine, "select * from asana_analytics.asana__daily_metrics where workspace_gid = 'W1' "
                                "and date_day <= date '2025-01-20'")
    rows = {r["date_day"]: r for r in daily if not r["is_subtask"]}  # top-level tasks
    subtasks = {r["date_day"]: r for r in daily if r["is_subtask"]}
    assert set(rows) == set(subtasks)  # both kinds every day

    def counts(row):
        return (row["number_of_tasks_created"], row["number_of_tasks_completed"], row["number_of_tasks_reopened"],
                row["number_of_tasks_open"], row["number_of_tasks_open_assigned"])

    day0 = rows[dt.date(2025, 1, 6)]  # T1 created+completed, T2 created
    assert counts(day0) == (2, 1, 0, 1, 1) and day0["avg_days_open"] == 0
    day1 = rows[dt.date(2025, 1, 7)]  # + T3, T6 (23:59)
    # assigned from the assignee history: T3 is unassigned now but was assigned on the 7th (ST20, ST21 on the 8th)
    assert counts(day1) == (2, 0, 0, 3, 3)
    assert abs(day1["avg_days_open"] - 1 / 3) < 1e-9 and abs(day1["avg_days_open_assigned"] - 1 / 3) < 1e-9
    # + T10 (assigned 1h after creation), T8 (complete since creation: never open, never completed); T2 completed
    # (ST16), T3 unassigned: open T3 T6 T10, assigned T6 T10
    day2 = rows[dt.date(2025, 1, 8)]
    assert counts(day2) == (2, 1, 0, 3, 2)
    assert abs(day2["avg_days_open_assigned"] - 1 / 2) < 1e-9  # T6 1, T10 0
    sub2 = subtasks[dt.date(2025, 1, 8)]  # T4: no stories, current assignee
    assert counts(sub2) == (1, 0, 0, 1, 1)
    assert counts(rows[dt.date(2025, 1, 9)]) == (1, 1, 0, 3, 2)  # + T9; T6 completed at 23:30 UTC
    assert counts(rows[dt.date(2025, 1, 10)]) == (0, 0, 1, 4, 3)  # T2 reopened (ST17): open on the 10th again
    # T10 completed (ST48), reopened (ST49) on the 13th, completed again (ST50) on the 14th: both completions count
    assert counts(rows[dt.date(2025, 1, 13)]) == (0, 1, 1, 4, 3)
    assert counts(rows[dt.date(2025, 1, 14)]) == (0, 1, 0, 3, 2)
    # T11 completed and reopened on the 10th, completed (completed_at, no story) on the 11th
    assert counts(subtasks[dt.date(2025, 1, 10)]) == (1, 1, 1, 2, 1)
    assert counts(subtasks[dt.date(2025, 1, 11)]) == (0, 1, 0, 1, 1)
    # completion events: T1 T2 T6 T3 and T10 twice; T11 twice
    assert sum(r["number_of_tasks_completed"] for r in rows.values()) == 6
    assert sum(r["number_of_tasks_reopened"] for r in rows.values()) == 2
    assert sum(r["number_of_tasks_completed"] for r in subtasks.values()) == 2
    assert not any(r["is_partial_period"] for r in daily)  # all in the past
    first = query(engine, "select min(date_day), max(date_day) = cast(now() at time zone 'UTC' as date) "
                          "from asana_analytics.asana__daily_metrics where workspace_gid = 'W2'")
    assert first[0][0] == dt.date(2025, 1, 11)
    overall = one(engine, "select * from asana_analytics.asana__daily_metrics_overall where date_day = '2025-01-10'")
    assert (overall["number_of_tasks_open"], overall["number_of_tasks_completed"], overall["number_of_tasks_reopened"]) \
        == (6, 1, 2)  # W1's 4 + 2 subtasks; W2 has no task yet
    assert abs(overall["avg_days_open"] - (4 * 2.5 + 2 * 1.0) / 6) < 1e-9


def test_history_and_cycle_time_values(engine):
    sec = query_dicts(engine, "select * from asana_analytics.asana__task_section_history where task_gid = 'T10' "
                              "order by changed_at")
    assert [(r["from_section_name"], r["to_section_name"], r["changed_by_name"]) for r in sec] == \
        [("Backlog", "Doing", "Alice"), ("Doing", "Done ✅", None)]
    stints = query_dicts(engine, "select * from asana_analytics.int_asana__task_section_stint "
                                 "where task_gid = 'T10' and project_gid = 'P1' order by stint_number")
    assert [r["section_gid"] for r in stints] == ["S11", "S12", "S13"]
    assert [round(r["days_in_section"], 6) for r in stints] == [round(25 / 24, 6), 3.0, round(2 + 7 / 24, 6)]
    assert not any(r["is_current"] for r in stints)
    doing = one(engine, "select * from asana_analytics.asana__section_cycle_time where section_gid = 'S12'")
    assert doing["number_of_tasks_currently_in_section"] == 1  # T2
    ah = query_dicts(engine, "select * from asana_analytics.asana__task_assignee_history where task_gid = 'T3' "
                             "order by valid_from")
    assert [(r["event_type"], r["assignee_user_gid"], r["is_current"]) for r in ah] == \
        [("assigned", "U2", False), ("unassigned", None, True)]
    dd = query_dicts(engine, "select * from asana_analytics.asana__task_due_date_history where task_gid = 'T10' "
                             "order by changed_at")
    assert [r["days_moved"] for r in dd] == [None, 2]
    ch = query_dicts(engine, "select event_type from asana_analytics.asana__task_completion_history "
                             "where task_gid = 'T10' order by changed_at")
    assert [r["event_type"] for r in ch] == ["completed", "reopened", "completed"]
    cf = {r["story_gid"]: r for r in query_dicts(engine, "select * from asana_analytics.asana__task_custom_field_history")}
    assert (cf["ST12"]["old_value"], cf["ST12"]["new_value"]) == ("Low", "High")
    assert cf["ST13"]["new_number_value"] == 3.5 and cf["ST52"]["custom_field_name"] is None
    assert "ST30" not in cf and not query(engine, "select 1 from asana_analytics.asana__task_completion_history "
                                                  "where task_gid = 'T5'")


def test_state_history_values(engine):
    states = query_dicts(engine, "select * from asana_analytics.asana__task_state_history where task_gid = 'T2' "
                                 "order by valid_from")
    # T2: created unassigned (its first story assigns it), Low and 2.0 (the first stories' old values), in
    # Backlog; assigned, High, 3.5, completed on the 8th, moved to Doing, reopened on the 10th
    assert [(s["valid_from"], s["is_completed"], s["assignee_user_gid"], s["custom_fields"], s["projects_sections"])
            for s in states] == [
        (dt.datetime(2025, 1, 6, 10), False, None, "Priority: Low; Estimate (h): 2.0", "Roadmap 2025: Backlog"),
        (dt.datetime(2025, 1, 6, 12), False, "U2", "Priority: Low; Estimate (h): 2.0", "Roadmap 2025: Backlog"),
        (dt.datetime(2025, 1, 7, 9), False, "U2", "Priority: High; Estimate (h): 2.0", "Roadmap 2025: Backlog"),
        (dt.datetime(2025, 1, 7, 10), False, "U2", "Priority: High; Estimate (h): 3.5", "Roadmap 2025: Backlog"),
        (dt.datetime(2025, 1, 7, 12), False, "U2", "Priority: High; Estimate (h): 3.5", "Roadmap 2025: Doing"),
        (dt.datetime(2025, 1, 8, 9), True, "U2", "Priority: High; Estimate (h): 3.5", "Roadmap 2025: Doing"),
        (dt.datetime(2025, 1, 10, 9), False, "U2", "Priority: High; Estimate (h): 3.5", "Roadmap 2025: Doing")]
    assert [s["valid_to"] for s in states] == [s["valid_from"] for s in states[1:]] + [None]
    assert [s["is_current"] for s in states] == [False] * 6 + [True]
    # the open span is the task today
    task = one(engine, "select * from asana_analytics.asana__task where task_gid = 'T2'")
    assert (states[-1]["custom_fields"], states[-1]["projects_sections"], states[-1]["due_date"]) == \
        (task["custom_fields"], task["projects_sections"], task["due_date"])
    estimate = query_dicts(engine, "select * from asana_analytics.asana__task_custom_field_state_history "
                                   "where task_gid = 'T2' and custom_field_gid = 'CF2' order by valid_from")
    assert [(e["number_value"], e["display_value"]) for e in estimate] == [(2.0, "2.0"), (3.5, "3.5")]
    # T3's due date moved from the 10th to the 11th on the 8th; T10 had none before its first due story
    due = query(engine, "select task_gid, due_date from asana_analytics.int_asana__task_due_date_span "
                        "where task_gid in ('T3', 'T10') order by task_gid, valid_from")
    assert due == [("T10", None), ("T10", dt.date(2025, 1, 13)), ("T10", dt.date(2025, 1, 15)),
                   ("T3", dt.date(2025, 1, 10)), ("T3", dt.date(2025, 1, 11))]
    # T8 (complete, no completed_at, no story) is complete from creation; T11's last completion has no story
    spans = query(engine, "select task_gid, change_type, source from asana_analytics.int_asana__task_completion_span "
                          "where task_gid in ('T8', 'T11') order by task_gid, valid_from")
    assert spans == [("T11", "created", "created"), ("T11", "completed", "story"), ("T11", "reopened", "story"),
                     ("T11", "completed", "completed_at"), ("T8", "created", "created")]


def test_throughput_aging_workload_custom_fields(engine):
    wk = one(engine, "select * from asana_analytics.asana__throughput_weekly where workspace_gid = 'W1' "
                     "and week_start = date '2025-01-06' and not is_subtask")
    # created T1 T2 T3 T6 T8 T10 T9 (7); completions T1 T2 T6, reopened T2 (T10 and T3 the week after); the
    # final completions (lead times) of T1 and T6 only: T2 is open again
    assert (wk["number_of_tasks_created"], wk["number_of_tasks_completed"], wk["number_of_tasks_reopened"],
            wk["net_new_tasks"], wk["number_of_final_completions"]) == (7, 3, 1, 5, 2)
    assert abs(wk["avg_lead_time_days"] - (8 / 24 + (2 + 23.5 / 24 - 23.99 / 24)) / 2) < 1e-9
    assert wk["median_lead_time_days"] is not None and wk["p90_lead_time_days"] >= wk["median_lead_time_days"]
    nxt = one(engine, "select * from asana_analytics.asana__throughput_weekly where workspace_gid = 'W1' "
                      "and week_start = date '2025-01-13' and not is_subtask")
    # T10 completed on the 13th and again on the 14th, T3 on the 16th; lead time from the final completion
    assert (nxt["number_of_tasks_completed"], nxt["number_of_tasks_reopened"], nxt["number_of_final_completions"]) \
        == (3, 1, 2)
    assert abs(nxt["avg_lead_time_days"] - ((6 + 8 / 24) + (9 + 3 / 24)) / 2) < 1e-9
    sub = one(engine, "select * from asana_analytics.asana__throughput_weekly where workspace_gid = 'W1' "
                      "and week_start = date '2025-01-06' and is_subtask")
    # T4 T11 created; T11 completed twice, reopened once, finally completed once
    assert (sub["number_of_tasks_created"], sub["number_of_tasks_completed"], sub["number_of_tasks_reopened"],
            sub["number_of_final_completions"]) == (2, 2, 1, 1)
    aging = query_dicts(engine, "select * from asana_analytics.asana__overdue_aging where workspace_gid = 'W1'")
    assert len(aging) == 16 and sum(r["number_of_overdue_tasks"] for r in aging) == 1  # T2
    wl = one(engine, "select * from asana_analytics.asana__assignee_workload where assignee_user_gid = 'U2' "
                     "and due_week = date '2025-01-06'")
    assert wl["tasks"] == "Fix login" and wl["is_past_week"] and wl["number_of_overdue_tasks"] == 1
    pivot = query_dicts(engine, "select * from asana_analytics.asana__project_custom_fields")
    parsed = {(r["project_gid"], r["task_gid"]): json.loads(r["custom_fields_json"]) for r in pivot}
    assert parsed[("P1", "T2")] == {"Priority": "High", "Estimate (h)": "3.5"}
    assert parsed[("P1", "T9")] == {"Remarque": "naïve, \"text\"\nline2"}
    assert parsed[("P2", "T3")] == {"Priority": None} and parsed[("P1", "T8")] == {}
    long = query(engine, "select count(*) from asana_analytics.asana__custom_field_values")
    assert long == [(7,)]


def test_deleted_projects_sections_tags_excluded(engine):
    assert not query(engine, "select 1 from asana_analytics.asana__project where project_gid = 'P6'")
    assert not query(engine, "select 1 from asana_analytics.asana__tag where tag_gid = 'G4'")
    assert not query(engine, "select 1 from asana_analytics.asana__section_cycle_time where section_gid in ('S14', 'S61')")
    assert not query(engine, "select 1 from asana_analytics.int_asana__project_task where project_gid = 'P6'")
    t = {r["task_gid"]: r for r in query_dicts(
        engine, "select * from asana_analytics.asana__task where task_gid in ('T1', 'T2')")}
    assert t["T2"]["projects"] == "Roadmap 2025" and t["T2"]["number_of_projects"] == 1  # not the deleted P6
    assert t["T1"]["tags"] == "urgent" and t["T1"]["number_of_tags"] == 1  # not the deleted G4
    # null is_deleted means not deleted
    assert one(engine, "select count(*) as n from asana_analytics.asana__project")["n"] == 5
    assert one(engine, "select count(*) as n from asana_analytics.asana__tag")["n"] == 3
    # staging keeps them, flagged
    assert query(engine, "select project_gid from asana_analytics.stg_asana__project where is_deleted") == [("P6",)]


def test_portfolio_values(engine):
    pf = {r["portfolio_gid"]: r for r in query_dicts(engine, "select * from asana_analytics.asana__portfolio")}
    assert set(pf) == {"PF1", "PF2", "PF4"}  # PF3 is deleted
    pf1 = pf["PF1"]
    # P1 direct; P2 via PF2; P3 only via the deleted PF3, P6 deleted, PX unknown: not counted
    assert (pf1["number_of_direct_projects"], pf1["number_of_projects"], pf1["project_gids"]) == (1, 2, "P1, P2")
    assert pf1["number_of_nested_portfolios"] == 1 and pf1["number_of_members"] == 2
    # P1 has T1 T2 T8 T9 T10, P2 has T1 T3 T10: 6 distinct tasks, not 8
    assert (pf1["number_of_tasks"], pf1["number_of_open_tasks"], pf1["number_of_tasks_completed"],
            pf1["number_of_overdue_tasks"]) == (6, 2, 4, 1)
    assert (pf1["latest_status_update_gid"], pf1["latest_status_type"], pf1["latest_status_author_name"]) \
        == ("SU2", "at_risk", "Bøb Ærø")
    assert pf1["owner_name"] == "Alice" and pf1["latest_status_at"] == dt.datetime(2025, 1, 16, 9, 0)
    pf2 = pf["PF2"]  # contains PF1 back: the cycle terminates
    assert (pf2["number_of_direct_projects"], pf2["number_of_projects"], pf2["number_of_nested_portfolios"]) \
        == (2, 2, 1)
    assert pf2["latest_status_update_gid"] == "SU6"  # SU5 has no created_at
    pf4 = pf["PF4"]
    assert (pf4["number_of_projects"], pf4["number_of_tasks"], pf4["latest_status_type"]) == (0, 0, None)


def test_time_tracking_values(engine):
    rows = query_dicts(engine, "select * from asana_analytics.asana__time_tracking")
    by = {(r["task_gid"], r["project_gid"], r["week_start"]): r for r in rows}
    assert len(rows) == len(by) == 10
    # every non-deleted entry once in allocated_minutes (TT6 on the deleted T5 excluded)
    assert one(engine, "select sum(allocated_minutes) as a, sum(minutes) as m from asana_analytics.asana__time_tracking") \
        == {"a": 340, "m": 450}
    w = dt.date(2025, 1, 6)
    t1p1, t1p2 = by[("T1", "P1", w)], by[("T1", "P2", w)]
    # TT1 (60, no attributable_to) counts fully for both projects, half allocated; TT2 (30) only for P2
    assert (t1p1["minutes"], t1p1["allocated_minutes"], t1p1["attributed_minutes"], t1p1["shared_minutes"]) \
        == (60, 30, 0, 60)
    assert (t1p2["minutes"], t1p2["allocated_minutes"], t1p2["attributed_minutes"], t1p2["number_of_entries"]) \
        == (90, 60, 30, 2)
    assert t1p1["is_multi_project_task"] and t1p1["time_tracking_key"] == "T1|U1|P1|2025-01-06"
    t2 = by[("T2", "P1", w)]  # the deleted P6 does not make T2 multi-project
    assert (t2["minutes"], t2["allocated_minutes"], t2["is_multi_project_task"]) == (45, 45, False)
    assert by[("T2", "P1", dt.date(2025, 1, 13))]["minutes"] == 15
    t4 = by[("T4", None, w)]  # no project
    assert (t4["minutes"], t4["user_name"], t4["time_tracking_key"]) == (20, "Carol, \"CJ\"", "T4|U3||2025-01-06")
    # attributable_to the deleted P6: falls back to the task's projects P1 and P5
    assert by[("T9", "P1", w)]["allocated_minutes"] == 20 and by[("T9", "P5", w)]["minutes"] == 40
    t10 = by[("T10", "P2", w)]  # unknown user, no entered_on: created_at's UTC date (Friday the 10th)
    assert (t10["user_gid"], t10["user_name"], t10["allocated_minutes"]) == ("U5", None, 5)
    t7 = by[("T7", "P4", w)]  # entered on Sunday the 12th
    assert (t7["attributed_minutes"], t7["hours"], t7["workspace_gid"]) == (120, 2.0, "W2")


def test_goal_values(engine):
    g = {r["goal_gid"]: r for r in query_dicts(engine, "select * from asana_analytics.asana__goal")}
    g1 = g["GL1"]
    assert (g1["owner_name"], g1["team_name"], g1["time_period_name"], g1["time_period_end_date"]) \
        == ("Alice", "Engineering", "Q1 FY25", dt.date(2025, 3, 31))
    assert abs(g1["metric_progress"] - 0.25) < 1e-9
    # GR3 supports with the deleted P6: not counted
    assert (g1["number_of_supporting_goals"], g1["number_of_supporting_projects"],
            g1["number_of_supporting_portfolios"], g1["number_of_supporting_tasks"]) == (2, 1, 1, 0)
    assert g1["latest_status_type"] == "on_track" and g1["number_of_goals_supported"] == 0
    g2 = g["GL2"]  # T5 is deleted
    assert (g2["number_of_supporting_tasks"], g2["number_of_goals_supported"], g2["metric_progress"]) == (1, 1, None)
    assert g["GL3"]["metric_progress"] is None and g["GL3"]["owner_name"] is None  # target == initial


def test_new_staging_models(engine):
    counts = dict(query(engine, """
        select 'wm', count(*) from asana_analytics.stg_asana__workspace_membership union all
        select 'pm', count(*) from asana_analytics.stg_asana__project_membership union all
        select 'utl', count(*) from asana_analytics.stg_asana__user_task_list union all
        select 'cfs', count(*) filter (where is_important) from asana_analytics.stg_asana__custom_field_setting union all
        select 'su', count(*) from asana_analytics.stg_asana__status_update where parent_type = 'portfolio'"""))
    assert counts == {"wm": 6, "pm": 3, "utl": 3, "cfs": 2, "su": 4}
    deps = {r["task_gid"]: r["number_of_dependents"] for r in query_dicts(
        engine, "select task_gid, number_of_dependents from asana_analytics.asana__task")}
    assert deps["T4"] == 1 and deps["T11"] == 1 and deps["T2"] == 0
