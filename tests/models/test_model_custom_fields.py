"""Custom fields as typed columns of asana__task (the models.task_custom_fields setting), on DuckDB and
PostgreSQL: built beside the fixture's models, in a schema of their own."""
from __future__ import annotations

import pytest
from raw_fixture import query, query_dicts

from pipelines.models import ModelError, ModelProject, custom_field_columns

SCHEMA = "asana_custom_fields"
WANTED = ["priority", "CF2", " Remarque ", "Platforms"]  # names (any case, spaces around) or gids


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(request):
    engine = request.getfixturevalue("duck" if request.param == "duckdb" else "pg")
    ModelProject.load(task_custom_fields=WANTED).build(engine, select="+asana__task", schema=SCHEMA)
    return request.param, engine


def test_each_field_is_a_typed_column(built):
    dialect, engine = built
    types = dict(query(engine, "select column_name, lower(data_type) from information_schema.columns "
                               f"where table_schema = '{SCHEMA}' and table_name = 'asana__task' "
                               "and column_name like 'cf\\_%' escape '\\'"))
    text = "varchar" if dialect == "duckdb" else "text"
    number = "double" if dialect == "duckdb" else "double precision"
    assert types == {"cf_priority": text, "cf_estimate_h": number, "cf_remarque": text, "cf_platforms": text}


def test_the_columns_hold_the_tasks_values(built):
    _, engine = built
    rows = {r["task_gid"]: r for r in query_dicts(
        engine, f"select task_gid, cf_priority, cf_estimate_h, cf_remarque, cf_platforms from {SCHEMA}.asana__task")}
    assert (rows["T2"]["cf_priority"], rows["T2"]["cf_estimate_h"]) == ("High", 3.5)
    assert (rows["T10"]["cf_priority"], rows["T10"]["cf_platforms"]) == ("Low", "iOS,Android")
    assert rows["T9"]["cf_remarque"] == "naïve, \"text\"\nline2" and rows["T1"]["cf_estimate_h"] == 1.0
    assert rows["T3"]["cf_priority"] is None  # the field is on the task, empty
    # every value of the long format, and nothing else
    long = {(r["task_gid"], r["custom_field_name"]): r for r in query_dicts(
        engine, "select * from asana_analytics.asana__custom_field_values where display_value is not null")}
    columns = {"Priority": "cf_priority", "Estimate (h)": "cf_estimate_h", "Remarque": "cf_remarque",
               "Platforms": "cf_platforms"}
    filled = {(task, name) for task, row in rows.items() for name, column in columns.items() if row[column] is not None}
    assert filled == set(long)
    # the model's own columns are unchanged, and so is its grain
    assert query(engine, f"select count(*), count(distinct task_gid) from {SCHEMA}.asana__task") == \
        query(engine, "select count(*), count(distinct task_gid) from asana_analytics.asana__task")


def test_fields_are_resolved_by_name_or_gid():
    fields = [("1", "Priority", "enum"), ("2", "Priority", "enum"), ("3", "Story points", "number"),
              ("4", "Size", "enum"), ("5", "Size", "number"), ("6", "优先级", "text")]
    columns = custom_field_columns(["PRIORITY", "3", "5", "优先级"], fields)
    assert [(c.column, c.gids, c.value, c.type) for c in columns] == [
        ("cf_priority", ("1", "2"), "enum_value_name", "text"), ("cf_story_points", ("3",), "number_value", "double"),
        ("cf_size", ("5",), "number_value", "double"), ("cf_6", ("6",), "text_value", "text")]
    with pytest.raises(ModelError, match="no custom field named or numbered 'Budget'.*'Priority'"):
        custom_field_columns(["Budget"], fields)
    with pytest.raises(ModelError, match="'Size' is of types"):
        custom_field_columns(["Size"], fields)
    with pytest.raises(ModelError, match="both make column cf_priority"):
        custom_field_columns(["1", "Priority"], fields)


def test_the_setting_is_read_the_dlt_way(monkeypatch):
    monkeypatch.setenv("MODELS__TASK_CUSTOM_FIELDS", '["Priority", "1204"]')
    assert ModelProject.load().task_custom_fields == ("Priority", "1204")
    monkeypatch.delenv("MODELS__TASK_CUSTOM_FIELDS")
    assert ModelProject.load().task_custom_fields == ()


def test_an_unknown_field_fails_the_build_naming_it(duck):
    with pytest.raises(ModelError, match="no custom field named or numbered 'Nope'"):
        ModelProject.load(task_custom_fields=["Nope"]).build(duck, select="asana__task", schema="asana_unknown_field")
