"""Every model transpiles to the warehouses dlt loads (MotherDuck = DuckDB's dialect, PostgreSQL, BigQuery,
Snowflake) and parses back; the dialect traps the transpile layer handles keep their meaning."""
from __future__ import annotations

import re

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from pipelines.models.dialects import TRANSPILE_DIALECTS, cloud_functions, explicit_null_order
from pipelines.models.project import ModelProject

# warehouse -> sqlglot dialect
WAREHOUSES = {"duckdb": "duckdb", "motherduck": "duckdb", "postgres": "postgres", "bigquery": "bigquery",
              "snowflake": "snowflake"}


def _tables(ast: exp.Expression) -> set[str]:
    ctes = {cte.alias for cte in ast.find_all(exp.CTE)}
    return {".".join(p for p in (t.db, t.name) if p) for t in ast.find_all(exp.Table) if t.name not in ctes}


@pytest.mark.parametrize("warehouse", list(WAREHOUSES))
def test_every_model_transpiles_and_parses_back(project: ModelProject, warehouse: str):
    dialect = WAREHOUSES[warehouse]
    assert dialect in TRANSPILE_DIALECTS
    failures = []
    for name in project.order():
        try:
            sql = project.compile(name, dialect)
            back = sqlglot.parse_one(sql, read=dialect)
        except Exception as error:  # noqa: BLE001 - collected, all named at once
            failures.append(f"{name}: {type(error).__name__}: {error}")
            continue
        # the same relations are read (qualified with the schemas)
        expected = {f"asana_analytics.{d}" for d in project[name].depends_on} | \
                   {f"asana_raw.{s}" for s in project[name].sources}
        if _tables(back) != expected:
            failures.append(f"{name}: reads {sorted(_tables(back))}, expected {sorted(expected)}")
        if dialect == "bigquery":  # refused by BigQuery inside aggregates and windows
            if re.search(r"NULLS (FIRST|LAST)", sql):
                failures.append(f"{name}: NULLS FIRST/LAST in BigQuery SQL")
            for trap in ("TIME_TO_UNIX", "now()", "TIMESTAMP_TRUNC", "WITHIN GROUP"):
                if trap in sql:
                    failures.append(f"{name}: {trap} in BigQuery SQL")
        if dialect == "snowflake" and "epoch_second" in sql:
            failures.append(f"{name}: timestamp subtraction in Snowflake SQL")
    assert failures == []


def test_duckdb_and_postgres_compile_unchanged_by_the_cloud_fixes(project: ModelProject):
    """The cloud rewrites never touch what the runner builds."""
    for name in project.order():
        for dialect in ("duckdb", "postgres"):
            plain = exp.replace_tables(project[name].ast.copy(), {}, dialect="duckdb")
            fixed = explicit_null_order(plain.copy(), dialect)
            assert fixed.sql(dialect) == plain.sql(dialect), name


# -- the traps, one by one -----------------------------------------------------------------------------
AGG_WITH_NULL_KEYS = """
select string_agg(v, ',' order by k, v) as asc_default,
       string_agg(v, ',' order by k desc, v) as desc_default,
       string_agg(v, ',' order by k nulls first, v) as asc_nulls_first,
       string_agg(v, ',' order by length(k), k, v) as two_keys
from (values ('a', '2'), ('b', null), ('c', '1'), ('d', null)) as t(v, k)
"""


def test_string_agg_order_keeps_duckdb_null_placement_for_bigquery():
    """BigQuery refuses NULLS LAST in an aggregate's ORDER BY (sqlglot raised 'translation not supported');
    the rewrite sorts by `k is null` first. Its result, run back on DuckDB, equals the original's."""
    original = sqlglot.parse_one(AGG_WITH_NULL_KEYS, read="duckdb")
    rewritten = explicit_null_order(original.copy(), "bigquery")
    bigquery_sql = rewritten.sql("bigquery", unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert "NULLS" not in bigquery_sql and "k IS NULL" in bigquery_sql
    con = duckdb.connect()
    assert con.execute(rewritten.sql("duckdb")).fetchall() == con.execute(AGG_WITH_NULL_KEYS).fetchall() \
        == [("c,a,b,d", "a,c,b,d", "b,d,c,a", "c,a,b,d")]


def test_named_window_transpiles_to_bigquery():
    """sqlglot crashed on `window w as (... order by ...)` ('Identifier' object has no attribute 'sql_name')."""
    sql = "select sum(x) over w as s from t window w as (partition by g order by d rows between unbounded " \
          "preceding and current row)"
    ast = explicit_null_order(sqlglot.parse_one(sql, read="duckdb"), "bigquery")
    out = ast.sql("bigquery", unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert "WINDOW w AS (PARTITION BY g ORDER BY d IS NULL ASC, d" in out


@pytest.mark.parametrize("dialect, expected", [
    ("bigquery", "TIMESTAMP_DIFF(a, b, MICROSECOND) / 1000000.0"),
    ("snowflake", "TIMESTAMPDIFF(MICROSECOND, b, a) / 1000000.0"),
])
def test_epoch_of_a_timestamp_difference(dialect, expected):
    ast = cloud_functions(sqlglot.parse_one("select epoch(a - b) / 86400.0", read="duckdb"), dialect)
    assert expected in ast.sql(dialect)


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake"])
def test_now_is_current_timestamp(dialect):
    ast = cloud_functions(sqlglot.parse_one("select now() at time zone 'UTC'", read="duckdb"), dialect)
    assert "CURRENT_TIMESTAMP()" in ast.sql(dialect) and "NOW" not in ast.sql(dialect).upper()


def test_iso_weeks_on_bigquery():
    """BigQuery's WEEK starts on Sunday; the models' weeks start on Monday."""
    ast = cloud_functions(sqlglot.parse_one("select date_trunc('week', d)", read="duckdb"), "bigquery")
    assert ast.sql("bigquery") == "SELECT DATE_TRUNC(d, ISOWEEK)"


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "postgres", "duckdb"])
def test_models_compile_writes_every_model_in_build_order(project: ModelProject, dialect, tmp_path):
    from click.testing import CliRunner

    from pipelines.commands.cli import main

    result = CliRunner().invoke(main, ["models", "compile", "--dialect", dialect, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("*.sql"))
    assert [f.stem.split("_", 1)[1] for f in files] == project.order()
    for f in files:
        statements = [s for s in sqlglot.parse(f.read_text(), read=dialect) if s is not None]
        assert statements and all(isinstance(s, (exp.Create, exp.Drop)) for s in statements), f.name
    first = files[0].read_text()
    expected = "drop view if exists" if dialect == "postgres" else "create or replace view"
    assert first.startswith(f"{expected} asana_analytics.{project.order()[0]}")


PERCENTILES_BY_GROUP = """
select g, count(*) as n, cast(percentile_cont(0.5) within group (order by x) as double) as median,
       percentile_cont(0.9) within group (order by x desc) as p10
from (values ('a', 1.0, true), ('a', 3.0, true), ('a', null, true), ('b', 2.0, true), ('b', 10.0, false),
             ('b', 4.0, true), ('b', 8.0, true), ('c', null, true)) as t(g, x, keep)
where keep
group by g
order by g
"""


def test_percentiles_become_window_functions_on_bigquery():
    """BigQuery has percentile_cont only as a window function: the grouped percentile is computed over the
    same groups in a subquery (the where clause moves with it) and picked with any_value. Run back on
    DuckDB, the rewrite gives the original's result, nulls, a filtered row and a descending order included."""
    original = sqlglot.parse_one(PERCENTILES_BY_GROUP, read="duckdb")
    rewritten = cloud_functions(original.copy(), "bigquery")
    bigquery_sql = rewritten.sql("bigquery", unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert "WITHIN GROUP" not in bigquery_sql
    assert "PERCENTILE_CONT(x, 0.5) OVER (PARTITION BY g)" in bigquery_sql
    con = duckdb.connect()
    expected = con.execute(PERCENTILES_BY_GROUP).fetchall()
    assert con.execute(rewritten.sql("duckdb")).fetchall() == expected
    assert [(g, n, median) for g, n, median, _ in expected] == [("a", 3, 2.0), ("b", 3, 4.0), ("c", 1, None)]


@pytest.mark.parametrize("model", ["asana__project", "asana__section_cycle_time", "asana__throughput_weekly"])
def test_models_with_percentiles_keep_their_figures_after_the_bigquery_rewrite(duck, project: ModelProject,
                                                                               model: str):
    """The three marts with medians, rewritten as for BigQuery and run on the fixture in DuckDB, equal the
    built tables row for row."""
    from pipelines.models.dialects import window_percentiles

    rewritten = window_percentiles(sqlglot.parse_one(project.compile(model, "duckdb"), read="duckdb"))
    assert "WITHIN GROUP" not in rewritten.sql("duckdb").upper()
    with duck.sql_client() as client:
        built = client.execute_sql(f"select * from asana_analytics.{model}")
        again = client.execute_sql(rewritten.sql("duckdb"))
    assert sorted(map(repr, again)) == sorted(map(repr, built))
    assert any(value is not None for row in built for value in row[1:]), "the fixture gives no figure to compare"
