"""`asana-sync docs`: the committed table reference (docs/reference/) is what a fresh demo load generates,
byte for byte, diagrams included."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from pipelines.commands.cli import main
from pipelines.commands.demo import run_demo
from pipelines.models.docs import generate, raw_foreign_keys, render
from sources.asana.settings import COLUMNS

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "reference"


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("docs-demo")
    path = tmp / "demo.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ASANA_SYNC_HOME", str(tmp / "home"))
        run_demo(size="small", seed=1, duckdb_path=str(path), console=Console(file=io.StringIO()))
    return path


def test_committed_reference_is_current(demo_warehouse, tmp_path):
    written = generate(demo_warehouse, tmp_path / "reference")
    fresh = {p.name: p.read_bytes() for p in written}
    committed = {p.name: p.read_bytes() for p in sorted(COMMITTED.iterdir()) if p.is_file()}
    assert sorted(fresh) == sorted(committed), "docs/reference is stale: run `asana-sync docs`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"docs/reference is stale ({', '.join(stale)}): run `asana-sync docs`"


def test_reference_is_deterministic(demo_warehouse):
    assert render(demo_warehouse) == render(demo_warehouse)


def test_every_raw_table_and_model_is_documented(demo_warehouse):
    from pipelines.models import ModelProject

    files = render(demo_warehouse)
    for table in COLUMNS:
        assert f"## `{table}`\n" in files["raw.md"], table
    project = ModelProject.load()
    for name, model in project.models.items():
        assert f"## `{name}`\n" in files[f"{model.layer}.md"], name
        for column in model.grain:  # the built columns are listed, with the grain marked
            assert f"| `{column}` |" in files[f"{model.layer}.md"], (name, column)


def test_every_raw_gid_column_points_somewhere():
    """A new *_gid column needs its target (or polymorphic mark) in pipelines/docs.py."""
    for table, columns in COLUMNS.items():
        refs, polymorphic = raw_foreign_keys(table, list(columns))
        for column, target, target_column in refs:
            assert target in COLUMNS and target_column in COLUMNS[target], (table, column, target)
        for column, type_column in polymorphic:
            assert type_column in columns, (table, column)
    refs, _ = raw_foreign_keys("tasks", list(COLUMNS["tasks"]))
    assert ("assignee_gid", "users", "gid") in refs and ("parent_gid", "tasks", "gid") in refs


def test_diagrams_are_svg_with_one_path_per_reference(demo_warehouse):
    files = render(demo_warehouse)
    raw_refs = sum(len(raw_foreign_keys(t, list(c))[0]) for t, c in COLUMNS.items())
    for name, expected in (("raw_relationships.svg", raw_refs), ("model_relationships.svg", None)):
        root = ET.fromstring(files[name])
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        paths = [p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.find("{*}title") is not None]
        assert paths
        if expected is not None:
            assert len(paths) == expected
    assert "asana__task.parent_task_gid -&gt; asana__task" in files["model_relationships.svg"]


def test_cli_docs(demo_warehouse, tmp_path):
    result = CliRunner().invoke(main, ["docs", "--duckdb-path", str(demo_warehouse), "-o", str(tmp_path / "ref")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ref" / "README.md").is_file() and (tmp_path / "ref" / "raw_relationships.svg").is_file()
    missing = CliRunner().invoke(main, ["docs", "--duckdb-path", str(tmp_path / "nope.duckdb")])
    assert missing.exit_code == 7 and "no DuckDB warehouse" in missing.output
    import duckdb

    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    empty = CliRunner().invoke(main, ["docs", "--duckdb-path", str(tmp_path / "empty.duckdb")])
    assert empty.exit_code == 7 and "load the warehouse first" in empty.output


def test_generate_removes_only_its_own_stale_pages(demo_warehouse, tmp_path):
    out = tmp_path / "ref"
    out.mkdir()
    (out / "notes.md").write_text("# my notes\n")
    (out / "old_relationships.svg").write_text("<svg/>")
    generate(demo_warehouse, out)
    (out / "gone.md").write_text((out / "raw.md").read_text())
    generate(demo_warehouse, out)
    assert (out / "notes.md").exists()
    assert not (out / "old_relationships.svg").exists() and not (out / "gone.md").exists()
