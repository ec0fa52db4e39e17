"""The source's pure functions, read as specifications."""

from __future__ import annotations

from datetime import date

from sources.asana.helpers import kept_rows, plan_date_windows, split_date_window

TODAY = date(2026, 11, 30)


def test_an_open_window_splits_at_today():
    assert split_date_window((date(1900, 1, 1), None), [], TODAY) == [
        (date(1900, 1, 1), TODAY), (date(2026, 12, 1), None)]


def test_a_closed_window_splits_where_the_returned_entries_lie():
    seen = ["2026-01-05", "2026-03-01", "2026-02-10", None, "garbage"]
    assert split_date_window((date(1900, 1, 1), TODAY), seen, TODAY) == [
        (date(1900, 1, 1), date(2026, 2, 10)), (date(2026, 2, 11), TODAY)]


def test_a_closed_window_with_nothing_to_go_on_splits_in_the_middle():
    assert split_date_window((date(2026, 1, 1), date(2026, 1, 3)), [], TODAY) == [
        (date(2026, 1, 1), date(2026, 1, 2)), (date(2026, 1, 3), date(2026, 1, 3))]


def test_a_single_day_cannot_be_split():
    assert split_date_window((TODAY, TODAY), ["2026-11-30"], TODAY) is None


def test_halves_are_always_smaller_even_when_every_entry_is_on_the_last_day():
    halves = split_date_window((date(2026, 1, 1), date(2026, 1, 2)), ["2026-01-02"] * 5, TODAY)
    assert halves == [(date(2026, 1, 1), date(2026, 1, 1)), (date(2026, 1, 2), date(2026, 1, 2))]


FIRST = date(1900, 1, 1)


def test_without_a_plan_one_open_window():
    assert plan_date_windows(None, FIRST) == [(FIRST, None)]
    assert plan_date_windows({"windows": []}, FIRST) == [(FIRST, None)]


def test_a_plan_gives_last_runs_windows_joining_neighbours_that_fit_in_half_a_cut():
    plan = {"windows": [["1900-01-01", "2025-12-31", 9000], ["2026-01-01", "2026-06-30", 1500],
                        ["2026-07-01", "2026-11-30", 2000], ["2026-12-01", None, 900]], "cut_after": 10000}
    assert plan_date_windows(plan, FIRST) == [
        (FIRST, date(2025, 12, 31)), (date(2026, 1, 1), None)]  # 1,500 + 2,000 + 900 <= 5,000


def test_a_plan_that_does_not_tile_the_dates_is_ignored():
    gap = {"windows": [["1900-01-01", "2025-12-31", 9000], ["2026-01-02", None, 10]], "cut_after": 10000}
    closed = {"windows": [["1900-01-01", "2025-12-31", 9000]], "cut_after": 10000}
    garbage = {"windows": [["yesterday", None, 1]]}
    late = {"windows": [["2000-01-01", None, 1]]}
    for plan in (gap, closed, garbage, late):
        assert plan_date_windows(plan, FIRST) == [(FIRST, None)]


def test_kept_rows_are_the_unread_ones_without_dlt_columns():
    known = [{"gid": "1", "x": 1, "_dlt_id": "a"}, {"gid": "2", "x": 2, "_dlt_load_id": "b"}]
    assert kept_rows(known, {"1"}) == [{"gid": "2", "x": 2}]
    assert kept_rows([{"user_gid": "7"}], {"8"}, key="user_gid") == [{"user_gid": "7"}]
