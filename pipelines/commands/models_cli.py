"""`asana-sync models run|list|dag|test`, and the model build that follows every `asana-sync run`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional

import click
from rich.markup import escape
from rich.table import Table

from ..errors import EXIT_MODELS, SyncError
from ..models.build import build_models, model_project, run_model_tests
from ..models.project import ModelError, ModelProject
from ..sync.run import run_lock
from ..warehouse.destination import Destination
from ..warehouse.preflight import require_warehouse
from .console import destination_options, err, fail, out


@click.group()
def models() -> None:
    """Build, list and test the SQL reporting models (sql/ -> schema asana_analytics).

    \b
    Example:
        asana-sync models run --select +asana__project
    """


@models.command(name="run")
@destination_options
@click.option("--select", "-s", default=None, metavar="SPEC",
              help="Models to build: a name, +name (with ancestors), name+ (with descendants), layer:marts.")
def run_command(destination: str, duckdb_path: Optional[str], select: Optional[str]) -> None:
    """Build the models (views for staging, tables otherwise) in dependency order.

    \b
    Example:
        asana-sync models run --duckdb-path asana.duckdb
    """
    started = time.monotonic()
    try:
        target = Destination.parse(destination, duckdb_path)
        # A writer like `run`: the same lock, and never on a warehouse that does not exist.
        with run_lock(target, "models run"):
            require_warehouse(target)
            results = build_models(target, select=select)
    except SyncError as error:
        fail(error)
    table = Table("model", "kind", "rows", "seconds", title="models built")
    for r in results:
        table.add_row(r.name, r.kind, "" if r.rows is None else str(r.rows), f"{r.seconds:.2f}")
    out.print(table)
    out.print(f"{len(results)} models in {time.monotonic() - started:.1f}s", highlight=False)


@models.command(name="list")
@click.option("--select", "-s", default=None, metavar="SPEC", help="Only these models (see `models run`).")
def list_models(select: Optional[str]) -> None:
    """List the models in build order with their layer and grain.

    \b
    Example:
        asana-sync models list --select layer:marts
    """
    try:
        project = model_project()
    except SyncError as error:
        fail(error)
    table = Table("model", "layer", "materialized", "grain")
    for name in project.order(select=select):
        model = project[name]
        table.add_row(name, model.layer, model.kind, ", ".join(model.grain))
    out.print(table)


@models.command()
@click.option("--format", "fmt", type=click.Choice(["text", "dot"]), default="text", show_default=True)
def dag(fmt: str) -> None:
    """Print the dependency graph (edges upstream -> downstream), as text or Graphviz dot.

    \b
    Example:
        asana-sync models dag --format dot | dot -Tpng > dag.png
    """
    try:
        edges = model_project().dag(include_sources=True)
    except SyncError as error:
        fail(error)
    if fmt == "dot":
        out.print("digraph models {", highlight=False)
        for upstream, downstream in edges:
            out.print(f'  "{upstream}" -> "{downstream}";', highlight=False)
        out.print("}", highlight=False)
    else:
        for upstream, downstream in edges:
            out.print(f"{upstream} -> {downstream}", highlight=False)


@models.command(name="test")
@destination_options
@click.option("--select", "-s", default=None, metavar="SPEC", help="Only these models (see `models run`).")
def test_command(destination: str, duckdb_path: Optional[str], select: Optional[str]) -> None:
    """Run the data tests: every model's grain is unique and not null, references resolve.

    \b
    Example:
        asana-sync models test --destination postgres
    """
    try:
        results = run_model_tests(Destination.parse(destination, duckdb_path), select=select, read_only=True)
    except SyncError as error:
        fail(error)
    failed = [r for r in results if not r.passed]
    for r in failed:
        detail = r.error or f"{r.failures} failing rows"
        err.print(f"[red]FAIL[/red] {escape(f'{r.model}: {r.test} ({detail})')}", highlight=False)
    out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed", highlight=False)
    if failed:
        sys.exit(EXIT_MODELS)


@models.command(name="compile")
@click.option("--dialect", type=click.Choice(["duckdb", "postgres", "bigquery", "snowflake"]), default="duckdb",
              show_default=True, help="SQL dialect to write (MotherDuck: duckdb).")
@click.option("--select", "-s", default=None, metavar="SPEC", help="Only these models (see `models run`).")
@click.option("--output-dir", "-o", default=None, metavar="DIR",
              help="Write one file per model, NNN_<model>.sql in build order (default: print them all).")
def compile_command(dialect: str, select: Optional[str], output_dir: Optional[str]) -> None:
    """Write the models' DDL in another warehouse's dialect, in build order, for running them there
    yourself (`run` and `models run` build on DuckDB and PostgreSQL only). Reads asana_raw, writes
    asana_analytics.

    \b
    Example:
        asana-sync models compile --dialect bigquery -o build/bigquery
    """
    try:
        project: ModelProject = model_project()
        statements = []
        for name in project.order(select=select):
            model = project[name]
            body = project.compile(name, dialect)
            relation = f"asana_analytics.{name}"
            if dialect == "postgres":  # no "create or replace table" there
                ddl = f"drop {model.kind} if exists {relation} cascade;\ncreate {model.kind} {relation} as\n{body};\n"
            else:
                ddl = f"create or replace {model.kind} {relation} as\n{body};\n"
            statements.append((name, ddl))
    except (SyncError, ModelError) as error:
        fail(error if isinstance(error, SyncError) else SyncError(f"model error: {error}", EXIT_MODELS))
    if output_dir is None:
        out.print("\n".join(ddl for _, ddl in statements), highlight=False, markup=False, soft_wrap=True)
        return
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for number, (name, ddl) in enumerate(statements, start=1):
        (folder / f"{number:03d}_{name}.sql").write_text(ddl, encoding="utf-8")
    out.print(f"wrote {len(statements)} models ({dialect}) to {folder}", highlight=False)
