"""pipelines/warehouse/key_merge.py: merges that delete by one key at a time leave exactly what dlt's own
merge leaves, on DuckDB and PostgreSQL, for tables replaced per parent (primary key, merge key,
hard-delete markers, a nested table)."""

from __future__ import annotations

import dlt
import pytest

from pipelines.warehouse import key_merge
from pipelines.warehouse.key_merge import KeyAtATimeMerge

HINTS = dict(write_disposition="merge", primary_key="gid", merge_key="task_gid",
             columns={"_replace": {"data_type": "bool", "hard_delete": True}})

LOADS = [
    # t1 and t2 with their stories; s3 has a nested list (the temp-table path of dlt's merge)
    [{"gid": "t1", "task_gid": "t1", "_replace": True},
     {"gid": "s1", "task_gid": "t1", "text": "one", "tags": []},
     {"gid": "s2", "task_gid": "t1", "text": "two", "tags": ["a"]},
     {"gid": "t2", "task_gid": "t2", "_replace": True},
     {"gid": "s3", "task_gid": "t2", "text": "three", "tags": ["b", "c"]},
     {"gid": "s4", "task_gid": "t2", "text": "four", "tags": []}],
    # t1 re-read: s1 changed, s2 gone; s3 now under t3 (t2 not re-read: the primary key removes it
    # there); t4 replaced with nothing
    [{"gid": "t1", "task_gid": "t1", "_replace": True},
     {"gid": "s1", "task_gid": "t1", "text": "one, edited", "tags": ["d"]},
     {"gid": "t3", "task_gid": "t3", "_replace": True},
     {"gid": "s3", "task_gid": "t3", "text": "three, moved", "tags": ["b"]},
     {"gid": "t4", "task_gid": "t4", "_replace": True}],
]

EXPECTED_STORIES = [("s1", "t1", "one, edited"), ("s3", "t3", "three, moved"), ("s4", "t2", "four")]
EXPECTED_TAGS = [("s1", "d"), ("s3", "b")]


def _load(factory, name: str, tmp_path) -> tuple[list, list]:
    pipeline = dlt.pipeline(pipeline_name=name, destination=factory, dataset_name="merge_test",
                            pipelines_dir=str(tmp_path / "pipelines"))
    for rows in LOADS:
        pipeline.run(dlt.resource(rows, name="stories", **HINTS), loader_file_format="parquet").raise_on_failed_jobs()
    if isinstance(factory, (key_merge.duckdb, key_merge.postgres)):
        with pipeline.destination_client() as client:
            assert type(client)._create_merge_followup_jobs.__module__ == "pipelines.warehouse.key_merge"
    with pipeline.sql_client() as client:
        stories = client.execute_sql("select gid, task_gid, text from stories order by gid")
        tags = client.execute_sql("select s.gid, t.value from stories s join stories__tags t "
                                  "on t._dlt_parent_id = s._dlt_id order by 1, 2")
    return [tuple(r) for r in stories], [tuple(r) for r in tags]


def test_deletes_one_key_per_statement():
    clauses = KeyAtATimeMerge.gen_key_table_clauses("d_table", "s_table", ['"gid"'], ['"task_gid"'], for_delete=True)
    assert clauses == [
        'FROM d_table AS d WHERE EXISTS (SELECT 1 FROM s_table AS s WHERE d."gid" = s."gid")',
        'FROM d_table AS d WHERE EXISTS (SELECT 1 FROM s_table AS s WHERE d."task_gid" = s."task_gid")',
    ]
    assert not any(" OR " in clause for clause in clauses)


def test_keeps_dlt_destination_types():
    """Existing warehouses and their pipeline state see the same destination as before."""
    assert key_merge.duckdb("x.duckdb").destination_type == dlt.destinations.duckdb("x.duckdb").destination_type
    assert key_merge.postgres().destination_type == dlt.destinations.postgres().destination_type
    assert key_merge.duckdb("x.duckdb").destination_name == "duckdb"


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_same_rows_as_dlts_own_merge(engine, tmp_path, request):
    if engine == "duckdb":
        ours = key_merge.duckdb(str(tmp_path / "ours.duckdb"))
        theirs = dlt.destinations.duckdb(str(tmp_path / "theirs.duckdb"))
        assert _load(ours, "merge_ours", tmp_path) == _load(theirs, "merge_theirs", tmp_path) \
            == (EXPECTED_STORIES, EXPECTED_TAGS)
        return
    server = request.getfixturevalue("pg_server")
    with server.database() as ours_db, server.database() as theirs_db:
        ours = _load(key_merge.postgres(server.dsn(ours_db)), "merge_ours_pg", tmp_path)
        theirs = _load(dlt.destinations.postgres(server.dsn(theirs_db)), "merge_theirs_pg", tmp_path)
    assert ours == theirs == (EXPECTED_STORIES, EXPECTED_TAGS)
