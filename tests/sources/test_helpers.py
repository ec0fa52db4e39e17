"""The source's pure functions, read as specifications."""

from __future__ import annotations

from datetime import date

from sources.asana.helpers import kept_rows, split_date_window

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


def test_kept_rows_are_the_unread_ones_without_dlt_columns():
    known = [{"gid": "1", "x": 1, "_dlt_id": "a"}, {"gid": "2", "x": 2, "_dlt_load_id": "b"}]
    assert kept_rows(known, {"1"}) == [{"gid": "2", "x": 2}]
    assert kept_rows([{"user_gid": "7"}], {"8"}, key="user_gid") == [{"user_gid": "7"}]
