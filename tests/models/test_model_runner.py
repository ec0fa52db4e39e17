"""The model runner: loading, dependency graph, compilation and error handling."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlglot

from pipelines.models import (
    RAW_TABLES, ModelBuildError, ModelError, ModelProject, ModelResult, DataTestResult, detect_dialect,
)
from raw_fixture import duckdb_pipeline, load_raw, query

EXPECTED_MARTS = {
    "asana__task", "asana__project", "asana__user", "asana__team", "asana__tag", "asana__daily_metrics",
    "asana__section_cycle_time", "asana__throughput_weekly", "asana__overdue_aging",
    "asana__assignee_workload", "asana__custom_field_values", "asana__project_custom_fields",
    "asana__task_section_history", "asana__task_assignee_history", "asana__task_due_date_history",
    "asana__task_completion_history", "asana__task_custom_field_history",
    "asana__portfolio", "asana__time_tracking", "asana__goal", "asana__task_state_history",
    "asana__task_section_state_history", "asana__task_custom_field_state_history", "asana__daily_metrics_overall",
}
#: Models whose header overrides their layer's default materialization.
DECLARED_VIEWS = {"asana__daily_metrics_overall"}
SECTION_3_TABLES = {
    "workspace_memberships", "project_memberships", "status_updates", "portfolios", "portfolio_items",
    "portfolio_memberships", "goals", "goal_relationships", "time_periods", "time_tracking_entries",
    "user_task_lists", "custom_field_settings", "task_dependents",
}


def write_models(root: Path, files: dict[str, str]) -> Path:
    for rel, sql in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(sql).lstrip(), encoding="utf-8")
    for layer in ("staging", "intermediate", "marts"):
        (root / layer).mkdir(parents=True, exist_ok=True)
    return root


def test_project_loads_with_layers_and_kinds(project):
    assert EXPECTED_MARTS <= set(project.models)
    for name, m in project.models.items():
        assert m.grain, name
        assert m.kind == ("view" if m.layer == "staging" or name in DECLARED_VIEWS else "table")
        assert name.startswith({"staging": "stg_asana__", "intermediate": "int_asana__", "marts": "asana__"}[m.layer])
        if m.layer == "staging":
            assert m.depends_on == () and len(m.sources) == 1
        else:
            assert m.sources == (), f"{name} reads raw tables directly"


def test_every_raw_table_has_a_staging_model(project):
    staged = {s for m in project.models.values() for s in m.sources}
    assert staged == set(RAW_TABLES)


def test_order_respects_dependencies(project):
    order = project.order()
    assert len(order) == len(set(order)) == len(project.models)
    pos = {n: i for i, n in enumerate(order)}
    for up, down in project.dag():
        assert pos[up] < pos[down]
    edges = project.dag(include_sources=True)
    assert ("asana_raw.tasks", "stg_asana__task") in edges
    assert ("int_asana__task", "asana__task") in edges


def test_cte_names_are_not_dependencies(project):
    # asana__task has CTEs named tasks, users, projects, ... which are also raw table names
    m = project["asana__task"]
    assert "tasks" not in m.depends_on and "tasks" not in m.sources
    assert "int_asana__task" in m.depends_on and "stg_asana__user" in m.depends_on


def test_compile_qualifies_and_transpiles(project):
    for dialect in ("duckdb", "postgres"):
        sql = project.compile("asana__daily_metrics", dialect)
        tables = {(t.db, t.name) for t in sqlglot.parse_one(sql, read=dialect).find_all(sqlglot.exp.Table)}
        assert ("asana_analytics", "int_asana__task") in tables and ("asana_analytics", "int_asana__date_spine") in tables
        stg = project.compile("stg_asana__task", dialect)
        assert "asana_raw.tasks" in stg
    pg = project.compile("asana__project", "postgres").upper()
    assert "PERCENTILE_CONT(0.5) WITHIN GROUP" in pg and "MEDIAN(" not in pg
    assert "QUANTILE" not in project.compile("asana__throughput_weekly", "postgres").upper()


def test_selection(project):
    assert project.order("asana__tag") == ["asana__tag"]
    up = project.order("+asana__tag")
    assert up[-1] == "asana__tag" and "stg_asana__task" in up and "asana__task" not in up
    down = project.select("int_asana__task+")
    assert {"asana__task", "asana__daily_metrics", "int_asana__task"} <= down
    assert "stg_asana__task" not in down
    assert set(project.order("layer:staging")) == {n for n, m in project.models.items() if m.layer == "staging"}
    with pytest.raises(ModelError, match="unknown model"):
        project.order("nope")


def test_cycle_is_an_error_naming_the_file(tmp_path):
    root = write_models(tmp_path, {
        "intermediate/int_a.sql": "-- grain: id\nselect id from int_b\n",
        "intermediate/int_b.sql": "-- grain: id\nwith x as (select id from int_a) select id from x\n",
    })
    with pytest.raises(ModelError, match="cycle") as e:
        ModelProject.load(root)
    assert e.value.path is not None and e.value.path.name in ("int_a.sql", "int_b.sql")


def test_unknown_table_is_an_error_naming_the_file(tmp_path):
    root = write_models(tmp_path, {
        "marts/asana__x.sql": "-- grain: id\nwith tasks as (select gid as id from tasks) select id from taskz\n",
    })
    with pytest.raises(ModelError, match="unknown table 'taskz'") as e:
        ModelProject.load(root)
    assert e.value.path.name == "asana__x.sql" and "asana__x.sql" in str(e.value)


@pytest.mark.parametrize("sql, match", [
    ("-- grain: id\nselect id from (tasks\n", "cannot parse"),
    ("select gid from tasks\n", "missing '-- grain"),
    ("-- grain: id\nselect 1 as id; select 2 as id\n", "exactly one select"),
    ("-- grain: id\n-- references: id -> nowhere.id\nselect gid as id from tasks\n", "unknown model 'nowhere'"),
    ("-- grain: id\nselect gid as id from asana_raw.tasks\n", "plain table names"),
    ("-- grain: id\n-- expect_zero: select 1\nselect gid as id from tasks\n", "bad expect_zero header"),
    ("-- grain: id\n-- expect_zero: broken: select (1\nselect gid as id from tasks\n", "expect_zero broken: cannot"),
    ("-- grain: id\n-- expect_zero: raw: select gid from tasks\nselect gid as id from tasks\n",
     "expect_zero raw reads 'tasks', which is no model"),
])
def test_bad_model_files(tmp_path, sql, match):
    root = write_models(tmp_path, {"marts/asana__bad.sql": sql})
    with pytest.raises(ModelError, match=match) as e:
        ModelProject.load(root)
    assert "asana__bad.sql" in str(e.value)


def test_failed_model_leaves_earlier_ones_and_names_itself(tmp_path):
    root = write_models(tmp_path / "sql", {
        "staging/stg_t.sql": "-- grain: task_gid\nselect cast(gid as varchar) as task_gid from tasks\n",
        "intermediate/int_ok.sql": "-- grain: task_gid\nselect task_gid from stg_t\n",
        "marts/m_bad.sql": "-- grain: task_gid\nselect task_gid, no_such_column from int_ok\n",
        "marts/m_after.sql": "-- grain: task_gid\nselect task_gid from m_bad\n",
        "marts/m_unrelated.sql": "-- grain: n\nselect count(*) as n from int_ok\n",
    })
    proj = ModelProject.load(root)
    p = duckdb_pipeline(tmp_path / "f.duckdb", tmp_path / "pl", name="asana_models_fail")
    load_raw(p, {"tasks": [{"gid": "1", "name": "a"}]})
    events = []
    with pytest.raises(ModelBuildError, match="m_bad") as e:
        proj.build(p, progress=lambda ev, m, r: events.append((ev, m.name)), fail_fast=False)
    err = e.value
    assert err.model == "m_bad" and err.path.name == "m_bad.sql"
    status = {r.name: r.status for r in err.results}
    assert status == {"stg_t": "ok", "int_ok": "ok", "m_bad": "error", "m_unrelated": "ok", "m_after": "skipped"}
    assert ("error", "m_bad") in events and ("start", "stg_t") in events
    assert query(p, "select count(*) from asana_analytics.int_ok") == [(1,)]
    # fail fast (default) stops at the first failure; the previously built version of it stays in place
    (root / "marts/m_bad.sql").write_text("-- grain: task_gid\nselect task_gid from int_ok\n")
    ModelProject.load(root).build(p)
    (root / "marts/m_bad.sql").write_text("-- grain: task_gid\nselect task_gid, nope from int_ok\n")
    with pytest.raises(ModelBuildError) as e2:
        ModelProject.load(root).build(p)
    assert [r.status for r in e2.value.results][-1] == "error"
    assert query(p, "select count(*) from asana_analytics.m_bad") == [(1,)]


def test_missing_raw_table_builds_as_empty(tmp_path):
    root = write_models(tmp_path / "sql", {
        "staging/stg_att.sql": "-- grain: attachment_gid\nselect gid as attachment_gid, size from attachments\n",
        "marts/m.sql": "-- grain: n\nselect count(*) as n from stg_att\n",
    })
    p = duckdb_pipeline(tmp_path / "e.duckdb", tmp_path / "pl", name="asana_models_empty")
    load_raw(p, {"tasks": [{"gid": "1", "name": "a"}]})
    results = ModelProject.load(root).build(p)
    assert [(r.name, r.rows) for r in results] == [("stg_att", 0), ("m", 1)]
    # the view is rebuilt over the real table once it exists
    load_raw(p, {"attachments": [{"gid": "A", "task_gid": "1", "size": 3}]})
    ModelProject.load(root).build(p)
    assert query(p, "select attachment_gid, size from asana_analytics.stg_att") == [("A", 3)]


def test_kind_change_and_rebuild_are_idempotent(tmp_path):
    root = write_models(tmp_path / "sql", {
        "intermediate/int_x.sql": "-- grain: task_gid\nselect gid as task_gid from tasks\n",
    })
    p = duckdb_pipeline(tmp_path / "k.duckdb", tmp_path / "pl", name="asana_models_kind")
    load_raw(p, {"tasks": [{"gid": "1", "name": "a"}]})
    ModelProject.load(root).build(p)
    (root / "intermediate/int_x.sql").write_text("-- grain: task_gid\n-- materialized: view\n"
                                                 "select gid as task_gid from tasks\n")
    ModelProject.load(root).build(p)
    ModelProject.load(root).build(p)
    assert query(p, "select table_type from information_schema.tables where table_name = 'int_x'") == [("VIEW",)]


def test_generated_test_queries(project):
    tests = dict(project.test_queries("asana__task", "postgres"))
    assert "unique(task_gid)" in tests and "not_null(task_gid)" in tests
    assert "references(assignee_user_gid -> asana__user.user_gid)" in tests
    assert "asana_analytics.asana__user" in tests["references(assignee_user_gid -> asana__user.user_gid)"]
    daily = dict(project.test_queries("asana__daily_metrics", "postgres"))
    assert {"unique(workspace_gid, date_day, is_subtask)", "not_null(workspace_gid, date_day, is_subtask)",
            "expect_zero(totals_reconcile_with_tasks)"} <= set(daily)
    assert "asana_analytics.asana__task" in daily["expect_zero(totals_reconcile_with_tasks)"]


def test_data_tests_detect_failures(tmp_path):
    root = write_models(tmp_path / "sql", {
        "staging/stg_t.sql": "-- grain: task_gid\n-- references: parent_gid -> stg_t.task_gid\n"
                             "select gid as task_gid, parent_gid from tasks\n",
    })
    p = duckdb_pipeline(tmp_path / "t.duckdb", tmp_path / "pl", name="asana_models_dt")
    load_raw(p, {"tasks": [{"gid": "1", "parent_gid": None}, {"gid": "1", "parent_gid": "9"},
                           {"gid": None, "parent_gid": "1"}]})
    proj = ModelProject.load(root)
    proj.build(p)
    got = {r.test: r.failures for r in proj.test(p)}
    assert got == {"unique(task_gid)": 1, "not_null(task_gid)": 1,
                   "references(parent_gid -> stg_t.task_gid)": 1}
    unbuilt = ModelProject.load(root).test(p, schema="nowhere")
    assert all(isinstance(r, DataTestResult) and r.failures is None and r.error for r in unbuilt)


def test_expect_zero_counts_the_failing_rows(tmp_path):
    """A header-declared query returning the failing rows; it may span indented comment lines and read
    other models (qualified like the model itself)."""
    root = write_models(tmp_path / "sql", {
        "staging/stg_t.sql": "-- grain: task_gid\n"
                             "-- expect_zero: named_tasks: select task_gid from stg_t where task_name is null\n"
                             "-- expect_zero: as_many_as_parents: select count(*) from stg_t\n"
                             "--     having count(*) <> (select count(*) from stg_p)\n"
                             "-- A description line after the tests.\n"
                             "select gid as task_gid, name as task_name from tasks\n",
        "staging/stg_p.sql": "-- grain: parent_gid\nselect distinct parent_gid from tasks where parent_gid is not null\n",
    })
    proj = ModelProject.load(root)
    m = proj["stg_t"]
    assert [name for name, _ in m.expect_zero] == ["named_tasks", "as_many_as_parents"]
    assert m.expect_zero[1][1].endswith("having count(*) <> (select count(*) from stg_p)")
    assert m.description == "A description line after the tests."
    p = duckdb_pipeline(tmp_path / "e.duckdb", tmp_path / "pl", name="asana_models_expect")
    load_raw(p, {"tasks": [{"gid": "1", "name": None, "parent_gid": "9"}, {"gid": "2", "name": "b"},
                           {"gid": "3", "name": None}]})
    proj.build(p)
    got = {r.test: r.failures for r in proj.test(p) if r.model == "stg_t"}
    assert got == {"unique(task_gid)": 0, "not_null(task_gid)": 0, "expect_zero(named_tasks)": 2,
                   "expect_zero(as_many_as_parents)": 1}


def test_detect_dialect(duck):
    assert detect_dialect(duck) == "duckdb"
    with duck.sql_client() as client:
        assert detect_dialect(client) == "duckdb"
    with pytest.raises(ModelError):
        detect_dialect(object())


def test_build_results(duck, project):
    results = duck._model_results
    assert [r.name for r in results] == project.order()
    assert all(isinstance(r, ModelResult) and r.status == "ok" and r.rows is not None for r in results)


def test_duckdb_file_named_like_the_schema(tmp_path):
    """asana.duckdb has a catalog 'asana': two-part names would be ambiguous, the runner uses three."""
    root = write_models(tmp_path / "sql", {
        "staging/stg_t.sql": "-- grain: task_gid\nselect gid as task_gid from tasks\n",
        "marts/m.sql": "-- grain: task_gid\n-- references: task_gid -> stg_t.task_gid\nselect task_gid from stg_t\n",
    })
    p = duckdb_pipeline(tmp_path / "asana.duckdb", tmp_path / "pl", name="asana_models_catalog")
    load_raw(p, {"tasks": [{"gid": "1", "name": "a"}]})
    proj = ModelProject.load(root)
    assert [r.rows for r in proj.build(p)] == [1, 1]
    assert all(r.passed for r in proj.test(p))


def test_project_builds_without_section_3_tables(tmp_path):
    """A destination the source has not loaded section 3 tables into yet: they read as empty relations."""
    from raw_fixture import raw_rows

    rows = {t: r for t, r in raw_rows().items() if t not in SECTION_3_TABLES}
    assert SECTION_3_TABLES <= set(RAW_TABLES) and not SECTION_3_TABLES & set(rows)
    p = duckdb_pipeline(tmp_path / "s2.duckdb", tmp_path / "pl", name="asana_models_s2")
    load_raw(p, rows)
    proj = ModelProject.load()
    results = {r.name: r.rows for r in proj.build(p)}
    assert results["asana__portfolio"] == results["asana__goal"] == results["asana__time_tracking"] == 0
    assert results["asana__task"] == 12
    assert all(r.passed for r in proj.test(p, select="layer:marts"))
