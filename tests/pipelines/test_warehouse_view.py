"""What the warehouse holds, read during a run: a table or column that does not exist yet is what a
first run looks like (no rows); any other failure is the warehouse's, never an empty warehouse."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.errors import EXIT_DESTINATION, SyncError
from pipelines.warehouse.destination import Destination
from pipelines.warehouse.runtime import make_pipeline
from pipelines.warehouse.view import WarehouseView, is_missing_relation


def test_missing_tables_and_columns_read_as_no_rows(tmp_path):
    path = tmp_path / "asana.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema asana_raw; create table asana_raw.tasks (gid varchar)")
    view = WarehouseView(make_pipeline(Destination.parse("duckdb", str(path))))
    assert view.rows("projects") == []  # no such table yet
    assert view.parent_gids() == set()  # tasks exists, num_subtasks does not: an older warehouse
    assert view.task_fingerprints() == {}


def test_any_other_failure_is_a_destination_error(tmp_path):
    path = tmp_path / "asana.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema asana_raw; create table asana_raw.tasks (gid varchar, is_deleted boolean);"
                    "insert into asana_raw.tasks values ('not a number', false)")
    view = WarehouseView(make_pipeline(Destination.parse("duckdb", str(path))))
    with pytest.raises(SyncError) as raised:  # the database failing mid-query, as a lost connection would
        view._query("select cast(gid as integer) from {tasks}")
    assert raised.value.exit_code == EXIT_DESTINATION and "destination error" in str(raised.value)


def test_the_missing_relation_test_knows_the_drivers_own_errors():
    con = duckdb.connect()
    for sql, missing in (("select * from nowhere", True), ("select nope from (select 1 as x)", True),
                         ("select cast('x' as integer)", False)):
        with pytest.raises(duckdb.Error) as raised:
            con.execute(sql)
        assert is_missing_relation(raised.value) is missing, sql
