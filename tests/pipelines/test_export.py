"""`asana-sync export`: files written from DuckDB (COPY) and PostgreSQL (Arrow batches), read back with
DuckDB, equal the tables row for row in every format; and the one-line failures with their exit codes."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from helpers import assert_clean_failure, engine_differences, env_for, run_cli
from pg import synced_into_both

from pipelines.commands.export import FORMATS, export
from pipelines.models import ModelProject
from pipelines.errors import SyncError

# PostgreSQL's information_schema types as DuckDB reads them back from CSV and JSON.
from pipelines.warehouse.destination import Destination
from pipelines.warehouse.runtime import make_pipeline
PG_TYPES = {"text": "VARCHAR", "character varying": "VARCHAR", "bigint": "BIGINT", "integer": "INTEGER",
            "double precision": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
            "timestamp with time zone": "TIMESTAMPTZ", "timestamp without time zone": "TIMESTAMP"}


@pytest.fixture(scope="module")
def warehouses(pg_server, tmp_path_factory):
    """The same small organization synced into a DuckDB file and a PostgreSQL database, with models."""
    tmp = tmp_path_factory.mktemp("export")
    sim = AsanaSimulator(SimConfig.small(seed=5))
    with synced_into_both(pg_server, sim, tmp) as (duck, pg, dsn):
        yield {"sim": sim, "duckdb": duck, "postgres": pg, "tmp": tmp, "dsn": dsn}


def _columns(client, kind: str, schema: str, table: str) -> list[tuple[str, str]]:
    rows = client.execute_sql(
        "select column_name, data_type from information_schema.columns where table_schema = %s and "
        "table_name = %s order by ordinal_position", schema, table)
    if kind == "postgres":
        return [(name, PG_TYPES[data_type]) for name, data_type in rows]
    return [(name, data_type) for name, data_type in rows]


def _rows(client, schema: str, table: str, columns: list[str]) -> list[tuple]:
    names = ", ".join(f'"{c}"' for c in columns)
    return [tuple(r) for r in client.execute_sql(f'select {names} from "{schema}"."{table}"')]


def _table_rows(destination: Destination, schema: str, table: str, columns: list[str]) -> list[tuple]:
    with make_pipeline(destination, read_only=True).sql_client() as client:
        return _rows(client, schema, table, columns)


def _file_rows(path: Path, fmt: str, columns: list[tuple[str, str]]) -> list[tuple]:
    """The file read back with DuckDB, typed as the table is (CSV and JSON carry no types)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    names = ", ".join(f'"{c}"' for c, _ in columns)
    typed = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns) + "}"
    if fmt == "parquet":
        source = f"read_parquet('{path}')"
    elif fmt == "csv":
        source = f"read_csv('{path}', header = true, columns = {typed}, allow_quoted_nulls = false)"
    else:
        source = f"read_json('{path}', format = 'newline_delimited', columns = {typed})"
    try:
        return [tuple(r) for r in con.execute(f"select {names} from {source}").fetchall()]
    finally:
        con.close()


def _marts() -> list[str]:
    project = ModelProject.load()
    return sorted(n for n in project.order() if project[n].layer == "marts")


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_raw_table_and_mart_read_back_equal(warehouses, tmp_path, engine, fmt):
    destination = warehouses[engine]
    files = export(destination, tmp_path / "out", fmt)
    exported = {f.source: f for f in files}
    raw = {f.split(".", 1)[1] for f in exported if f.startswith("asana_raw.")}
    assert {"tasks", "stories", "projects", "sync_runs", "task_memberships"} <= raw
    assert not any(name.startswith("_dlt") for name in raw)  # dlt's bookkeeping stays out
    assert sorted(f.split(".", 1)[1] for f in exported if f.startswith("asana_analytics.")) == _marts()
    differences = []
    with make_pipeline(destination, read_only=True).sql_client() as client:
        for source, file in exported.items():
            schema, table = source.split(".", 1)
            assert file.path == tmp_path / "out" / schema / f"{table}.{fmt}"
            columns = _columns(client, destination.kind, schema, table)
            expected = _rows(client, schema, table, [c for c, _ in columns])
            assert file.rows == len(expected), source
            differences += engine_differences(source, _file_rows(file.path, fmt, columns), expected)
    assert differences == []
    assert not list((tmp_path / "out").rglob(".*.partial"))
    tasks = exported["asana_raw.tasks"]
    assert tasks.rows == len(warehouses["sim"].store.tasks)


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_selected_tables_and_a_query(warehouses, tmp_path, engine):
    destination = warehouses[engine]
    files = export(destination, tmp_path, "parquet", tables=["asana_raw.tasks", "asana__project", "stg_asana__task"])
    assert [f.source for f in files] == ["asana_raw.tasks", "asana_analytics.asana__project",
                                         "asana_analytics.stg_asana__task"]
    sql = ("select project_gid, count(*) as tasks from asana_raw.task_memberships group by project_gid "
           "order by project_gid")
    (file,) = export(destination, tmp_path, "parquet", query=sql + ";", name="per_project")
    assert file.path == tmp_path / "per_project.parquet" and file.source == "query per_project"
    table = pq.read_table(file.path)
    assert table.column_names == ["project_gid", "tasks"]
    with make_pipeline(destination, read_only=True).sql_client() as client:
        expected = [tuple(r) for r in client.execute_sql(sql)]
    assert list(zip(*(table.column(c).to_pylist() for c in table.column_names))) == expected


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_failures_name_the_cause(warehouses, tmp_path, engine):
    destination = warehouses[engine]
    cases = [
        ({"tables": ["taks"]}, 2, "unknown table 'taks'; did you mean tasks"),
        ({"query": "selec 1"}, 2, "the query failed"),
        ({"query": "select no_such_column from asana_raw.tasks"}, 2, "no_such_column"),
        # read-only: a query cannot change the warehouse
        ({"query": "delete from asana_raw.tasks"}, 2, "only read-only queries"),
        ({"tables": ["tasks"], "query": "select 1"}, 2, "not both"),
    ]
    for kwargs, code, needle in cases:
        with pytest.raises(SyncError) as failure:
            export(destination, tmp_path / "out", "csv", **kwargs)
        assert failure.value.exit_code == code and needle in str(failure.value), (kwargs, str(failure.value))
    assert _table_rows(destination, "asana_raw", "tasks", ["gid"])  # nothing deleted
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SyncError) as failure:
        export(destination, blocker / "out", "csv", tables=["tasks"])
    assert failure.value.exit_code == 7 and "cannot write the export folder" in str(failure.value)
    assert not list((tmp_path / "out").rglob("*")) if (tmp_path / "out").exists() else True


def test_cli_exit_codes_and_output(warehouses, tmp_path):
    tmp = warehouses["tmp"]
    env = {"ASANA_SYNC_HOME": str(tmp / "home")}
    proc = run_cli(["export", "--duckdb-path", str(tmp / "asana.duckdb"), "--out", str(tmp_path / "x"),
                    "--format", "csv", "--table", "tasks", "--table", "asana__project"], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert "asana_raw.tasks:" in proc.stdout and "exported 2 file(s)" in proc.stdout
    assert (tmp_path / "x" / "asana_raw" / "tasks.csv").exists()
    proc = run_cli(["export", "--duckdb-path", str(tmp / "asana.duckdb"), "--out", str(tmp_path / "x"),
                    "--table", "nope"], tmp_path, env)
    assert_clean_failure(proc, 2, "unknown table 'nope'")
    proc = run_cli(["export", "--duckdb-path", str(tmp / "asana.duckdb"), "--out", str(tmp_path / "x"),
                    "--query", "select * from nowhere"], tmp_path, env)
    assert_clean_failure(proc, 2, "the query failed")
    proc = run_cli(["export", "--duckdb-path", str(tmp_path / "missing.duckdb"), "--out", str(tmp_path / "x")],
                   tmp_path, env)
    assert_clean_failure(proc, 7, "no warehouse")
    assert not (tmp_path / "missing.duckdb").exists()
    (tmp_path / "file").write_text("")
    proc = run_cli(["export", "--duckdb-path", str(tmp / "asana.duckdb"), "--out", str(tmp_path / "file" / "x")],
                   tmp_path, env)
    assert_clean_failure(proc, 7, "cannot write the export folder")
    proc = run_cli(["export", "-d", "postgres", "--out", str(tmp_path / "pg"), "--format", "jsonl", "-t", "users",
                    "--quiet"], tmp_path, {**env, "DESTINATION__POSTGRES__CREDENTIALS": warehouses["dsn"]})
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    lines = (tmp_path / "pg" / "asana_raw" / "users.jsonl").read_text().splitlines()
    assert len(lines) == len(_table_rows(warehouses["postgres"], "asana_raw", "users", ["gid"]))
    proc = run_cli(["--log-format", "json", "export", "--duckdb-path", str(tmp / "asana.duckdb"), "--out",
                    str(tmp_path / "j"), "-t", "tasks", "-t", "users"], tmp_path, env)
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    import json

    events = [json.loads(line) for line in proc.stderr.splitlines()]
    assert [(e["event"], e["source"]) for e in events] == [("exported", "asana_raw.tasks"),
                                                             ("exported", "asana_raw.users")]
    assert events[0]["rows"] == len(warehouses["sim"].store.tasks)


def test_sync_then_export(tmp_path):
    sim = AsanaSimulator(SimConfig.small(seed=6))
    with serve_in_thread(sim, port=0) as base_url:
        proc = run_cli(["export", "--sync", "--quiet", "--out", "out", "--table", "tasks", "--table",
                        "asana__project"], tmp_path, {**env_for(base_url), "ASANA_SYNC_HOME": str(tmp_path / "h")})
    assert proc.returncode == 0, proc.stderr
    assert "sim-token" not in proc.stdout + proc.stderr
    assert pq.read_metadata(tmp_path / "out" / "asana_raw" / "tasks.parquet").num_rows == len(sim.store.tasks)
    assert pq.read_metadata(tmp_path / "out" / "asana_analytics" / "asana__project.parquet").num_rows > 0
    assert os.path.exists(tmp_path / "asana.duckdb")


def _peak_rss_mb(args, cwd, env_extra) -> tuple[int, str]:
    """Run the CLI in a child of a fresh interpreter and return the CLI's peak RSS (MB)."""
    import json
    import subprocess
    import sys

    from helpers import CLI, cli_env

    probe = ("import json, resource, subprocess, sys; p = subprocess.run(json.loads(sys.argv[1]), "
             "capture_output=True, text=True); print(json.dumps([p.returncode, p.stderr, "
             "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024]))")
    proc = subprocess.run([sys.executable, "-c", probe, json.dumps(CLI + args)], cwd=cwd, env=cli_env(env_extra),
                          capture_output=True, text=True, timeout=600)
    code, stderr, peak = json.loads(proc.stdout)
    assert code == 0, stderr
    return peak, stderr


@pytest.mark.parametrize("engine,fmt", [("duckdb", "csv"), ("postgres", "jsonl"), ("postgres", "parquet")])
def test_memory_stays_bounded_on_a_large_result(warehouses, tmp_path, engine, fmt):
    """~450 MB of rows: streamed, the process stays far below the data's size (buffered, DuckDB's
    parallel text writers alone took ~1.2x the data)."""
    tmp = warehouses["tmp"]
    rows = 1_500_000
    series = f"range({rows}) t(g)" if engine == "duckdb" else f"generate_series(1, {rows}) g"
    args = ["export", "-d", engine, "--duckdb-path", str(tmp / "asana.duckdb"), "--out", str(tmp_path),
            "--format", fmt, "--name", "big", "--query", f"select g, repeat('x', 300) as pad from {series}"]
    peak, _ = _peak_rss_mb(args, tmp_path, {"ASANA_SYNC_HOME": str(tmp / "home"),
                                            "DESTINATION__POSTGRES__CREDENTIALS": warehouses["dsn"]})
    path = tmp_path / f"big.{fmt}"
    if fmt == "parquet":
        assert pq.read_metadata(path).num_rows == rows
    else:
        assert path.stat().st_size > rows * 300
    assert peak < 350, f"peak RSS {peak} MB"
