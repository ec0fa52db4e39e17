"""Asana JSON -> rows: the pure functions of sources/asana/helpers.py and discovery's decisions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sources.asana.helpers import (
    copy_row,
    cursor_with_lookback,
    deleted_rows,
    deleted_task_rows,
    fingerprint,
    max_ts,
    task_rows,
    tombstone,
)
from sources.asana.discovery import resuming_first_sync, should_reconcile
from sources.asana.settings import BRIDGES, RECONCILE_EVERY_RUN_BELOW, TOMBSTONE, opt_fields

TASK = {
    "gid": "1", "name": "Write the spec", "resource_subtype": "default_task", "completed": False,
    "workspace": {"gid": "9", "resource_type": "workspace"}, "parent": None,
    "assignee": {"gid": "7", "resource_type": "user"}, "modified_at": "2026-11-01T10:00:00.000Z",
    "num_subtasks": 2,
    "memberships": [{"project": {"gid": "p1"}, "section": {"gid": "s1"}},
                    {"project": {"gid": "p1"}, "section": {"gid": "s2"}},  # the same project twice
                    {"project": {"gid": "p2"}, "section": None}],
    "tags": [{"gid": "t1"}, {"gid": "t1"}], "followers": [{"gid": "7"}, {"gid": "8"}],
    "dependencies": [], "dependents": [{"gid": "2"}],
    "custom_fields": [{"gid": "cf1", "name": "Priority", "resource_subtype": "enum",
                       "enum_value": {"gid": "e1", "name": "High"}, "display_value": "High"},
                      {"name": "no gid: skipped"}],
}


def test_a_task_becomes_a_row_per_table_with_one_replacement_marker_per_bridge():
    rows = task_rows(TASK)
    task = rows["tasks"][0]
    assert (task["gid"], task["workspace_gid"], task["assignee_gid"], task["parent_gid"]) == ("1", "9", "7", None)
    assert task["is_deleted"] is False and len(task["sync_fingerprint"]) == 20
    live = {table: [r for r in rows[table] if not r.get(TOMBSTONE)] for table in BRIDGES}
    assert live["task_memberships"] == [{"task_gid": "1", "project_gid": "p1", "section_gid": "s1"},
                                        {"task_gid": "1", "project_gid": "p2", "section_gid": None}]
    assert live["task_tags"] == [{"task_gid": "1", "tag_gid": "t1"}]  # duplicates collapse
    assert [r["user_gid"] for r in live["task_followers"]] == ["7", "8"]
    assert live["task_custom_field_values"][0]["enum_value_name"] == "High"
    assert len(live["task_custom_field_values"]) == 1
    for table, (parent_key, _) in BRIDGES.items():
        markers = [r for r in rows[table] if r.get(TOMBSTONE)]
        assert len(markers) == 1 and markers[0][parent_key] == "1"


@pytest.mark.parametrize("change", [
    {"tags": []}, {"followers": [{"gid": "7"}]}, {"memberships": []}, {"dependents": []},
    {"parent": {"gid": "0"}}, {"num_subtasks": 0}, {"modified_at": "2026-11-02T00:00:00.000Z"},
])
def test_the_fingerprint_sees_what_modified_at_does_not(change):
    assert task_rows({**TASK, **change})["tasks"][0]["sync_fingerprint"] != task_rows(TASK)["tasks"][0]["sync_fingerprint"]


def test_the_fingerprint_ignores_order_and_fields_it_does_not_cover():
    shuffled = {**TASK, "followers": list(reversed(TASK["followers"])), "notes": "changed without a bump"}
    assert task_rows(shuffled)["tasks"][0]["sync_fingerprint"] == task_rows(TASK)["tasks"][0]["sync_fingerprint"]
    # Stable across runs: the same task twice gives the same fingerprint.
    assert fingerprint({"modified_at": "x"}, {t: [] for t in BRIDGES}) == fingerprint({"modified_at": "x"},
                                                                                      {t: [] for t in BRIDGES})


def test_copy_row_takes_scalars_by_name_and_gids_from_references():
    team = {"gid": "t", "name": "Core", "organization": {"gid": "9", "name": "Org"}, "visibility": "secret",
            "unexpected": {"nested": True}}
    assert copy_row("teams", team) == {"gid": "t", "name": "Core", "visibility": "secret", "organization_gid": "9"}
    status = copy_row("status_updates", {"gid": "s", "parent": {"gid": "p", "resource_type": "project"}})
    assert (status["parent_gid"], status["parent_type"]) == ("p", "project")


def test_context_fills_only_what_the_object_does_not_say():
    assert copy_row("sections", {"gid": "s", "project": {"gid": "p1"}}, project_gid="p2")["project_gid"] == "p1"
    assert copy_row("sections", {"gid": "s"}, project_gid="p2")["project_gid"] == "p2"


def test_goal_metric_values_are_copied_and_progress_is_left_to_sql():
    row = copy_row("goals", {"gid": "g", "metric": {"unit": "percentage", "current_number_value": 4,
                                                    "target_number_value": 10, "initial_number_value": 2}})
    assert (row["metric_unit"], row["metric_current_value"], row["metric_target_value"],
            row["metric_initial_value"]) == ("percentage", 4, 10, 2)
    assert "metric_progress" not in row


def test_opt_fields_ask_for_columns_and_references_but_not_what_the_sync_fills():
    fields = opt_fields("webhooks").split(",")
    assert "resource" in fields and "resource.resource_type" in fields
    assert "resource_gid" not in fields and "workspace_gid" not in fields and "resource_type" not in fields


def test_tombstones_are_unique_per_parent():
    assert tombstone("task_gid", "1") == {"task_gid": "1", "gid": "tombstone:1", TOMBSTONE: True}
    assert tombstone("task_gid", "1", "tag_gid") == {"task_gid": "1", "tag_gid": "", TOMBSTONE: True}


def test_deleted_rows_keep_the_last_known_values():
    known = [{"gid": "1", "name": "Old", "_dlt_id": "x", "is_deleted": False}]
    assert deleted_rows(known, "2026-11-30T00:00:00.000Z") == [
        {"gid": "1", "name": "Old", "is_deleted": True, "deleted_detected_at": "2026-11-30T00:00:00.000Z"}]
    rows = deleted_task_rows(known, "2026-11-30T00:00:00.000Z")
    assert rows["tasks"][0]["is_deleted"] and all(rows[t][0][TOMBSTONE] for t in BRIDGES)


def test_cursors_look_back_and_only_move_forward():
    assert cursor_with_lookback("2026-11-30T10:05:00.000Z", 300) == "2026-11-30T10:00:00.000Z"
    assert cursor_with_lookback(None, 300) is None
    assert max_ts("2026-11-30T10:00:00.000Z", "2026-11-29T10:00:00.000Z") == "2026-11-30T10:00:00.000Z"
    assert max_ts(None, "2026-11-29T10:00:00.000Z") == "2026-11-29T10:00:00.000Z"
    assert max_ts("2026-11-29T10:00:00.000Z", None) == "2026-11-29T10:00:00.000Z"


NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
BIG = RECONCILE_EVERY_RUN_BELOW


@pytest.mark.parametrize("mode, known, last, expected", [
    ("auto", 0, None, True),                                 # nothing to compare with
    ("never", 10, None, False),
    ("never", 0, None, True),
    ("always", BIG, "2026-11-30T11:00:00.000Z", True),
    ("auto", BIG - 1, "2026-11-30T11:00:00.000Z", True),     # small: every run
    ("auto", BIG, "2026-11-30T11:00:00.000Z", False),        # big: once a day
    ("auto", BIG, "2026-11-29T11:00:00.000Z", True),
    ("auto", BIG, None, True),
])
def test_when_a_run_reconciles(mode, known, last, expected):
    assert should_reconcile(mode, known, last, now=NOW) is expected


def test_the_reconciliation_schedule_is_configurable():
    last = "2026-11-30T09:00:00.000Z"
    assert should_reconcile("auto", 100, last, now=NOW, below_tasks=50, interval_hours=2) is True
    assert should_reconcile("auto", 100, last, now=NOW, below_tasks=50, interval_hours=4) is False
    assert should_reconcile("auto", 100, last, now=NOW, below_tasks=500, interval_hours=4) is True


def test_a_first_sync_with_loaded_steps_and_no_reconciliation_yet_is_resumed():
    assert resuming_first_sync({"project_cursors": {"p": "2026-11-30T00:00:00.000Z"}})
    assert not resuming_first_sync({"project_cursors": {"p": "x"}, "last_reconciled_at": "2026-11-30T00:00:00.000Z"})
    assert not resuming_first_sync({})
    # Once a resumed first sync has finished, later runs reconcile as usual.
    assert not resuming_first_sync({"project_cursors": {"p": "x"}, "first_sync_finished": True})
