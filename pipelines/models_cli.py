"""`asana-sync models run|list|dag|test`, and the model build that follows every `asana-sync run`."""

from __future__ import annotations

import sys
import time
from typing import Optional

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .pipeline import EXIT_DESTINATION, Destination, SyncError, make_pipeline

EXIT_MODELS = 8

out = Console()
err = Console(stderr=True)


def _project():
    from .models import ModelError, ModelProject

    try:
        return ModelProject.load()
    except ModelError as error:
        raise SyncError(f"model error: {error}", EXIT_MODELS) from None


def build_all(target: Destination, select: Optional[str] = None, progress=None) -> list:
    """Build the models into schema ``asana`` of ``target``; raises SyncError naming the failed model."""
    from .models import ModelError

    project = _project()
    pipeline = make_pipeline(target)
    try:
        return project.build(pipeline, select=select, progress=progress)
    except ModelError as error:
        raise SyncError(f"model build failed: {error}", EXIT_MODELS) from None
    except Exception as error:  # noqa: BLE001 - the destination's own error, in one line
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SyncError(f"cannot build models in {target.describe()}: {first[:300]}", EXIT_DESTINATION) from None


def drop_models(target: Destination) -> None:
    """Drop the model schema: PostgreSQL refuses to drop raw tables that views still depend on,
    which a full refresh must do. The next build recreates everything."""
    from .models import MODEL_SCHEMA, _catalog, detect_dialect

    pipeline = make_pipeline(target)
    try:
        with pipeline.sql_client() as client:
            dialect = detect_dialect(pipeline)
            catalog = _catalog(client, dialect)
            name = f'"{catalog}"."{MODEL_SCHEMA}"' if catalog else f'"{MODEL_SCHEMA}"'
            client.execute_sql(f"drop schema if exists {name} cascade")
    except Exception as error:  # noqa: BLE001
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SyncError(f"cannot drop the models in {target.describe()}: {first[:300]}", EXIT_DESTINATION) from None


def run_data_tests(target: Destination, select: Optional[str] = None) -> list:
    project = _project()
    try:
        return project.test(make_pipeline(target), select=select)
    except Exception as error:  # noqa: BLE001
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SyncError(f"cannot test models in {target.describe()}: {first[:300]}", EXIT_DESTINATION) from None


def _fail(error: SyncError) -> None:
    err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
    sys.exit(error.exit_code)


def _target_options(fn):
    fn = click.option("--duckdb-path", default=None, metavar="PATH",
                      help="DuckDB file (default: asana.duckdb in the working directory).")(fn)
    fn = click.option("--destination", "-d", type=click.Choice(["duckdb", "postgres"]), default="duckdb",
                      show_default=True, help="Warehouse holding asana_raw.")(fn)
    return fn


@click.group()
def models() -> None:
    """Build, list and test the SQL reporting models (sql/ -> schema asana).

    \b
    Example:
        asana-sync models run --select +asana__project
    """


@models.command(name="run")
@_target_options
@click.option("--select", "-s", default=None, metavar="SPEC",
              help="Models to build: a name, +name (with ancestors), name+ (with descendants), layer:marts.")
def run_models(destination: str, duckdb_path: Optional[str], select: Optional[str]) -> None:
    """Build the models (views for staging, tables otherwise) in dependency order.

    \b
    Example:
        asana-sync models run --duckdb-path asana.duckdb
    """
    started = time.monotonic()
    try:
        results = build_all(Destination.parse(destination, duckdb_path), select=select)
    except SyncError as error:
        _fail(error)
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
        project = _project()
    except SyncError as error:
        _fail(error)
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
        edges = _project().dag(include_sources=True)
    except SyncError as error:
        _fail(error)
    if fmt == "dot":
        out.print("digraph models {", highlight=False)
        for upstream, downstream in edges:
            out.print(f'  "{upstream}" -> "{downstream}";', highlight=False)
        out.print("}", highlight=False)
    else:
        for upstream, downstream in edges:
            out.print(f"{upstream} -> {downstream}", highlight=False)


@models.command(name="test")
@_target_options
@click.option("--select", "-s", default=None, metavar="SPEC", help="Only these models (see `models run`).")
def test_models(destination: str, duckdb_path: Optional[str], select: Optional[str]) -> None:
    """Run the data tests: every model's grain is unique and not null, references resolve.

    \b
    Example:
        asana-sync models test --destination postgres
    """
    try:
        results = run_data_tests(Destination.parse(destination, duckdb_path), select=select)
    except SyncError as error:
        _fail(error)
    failed = [r for r in results if not r.passed]
    for r in failed:
        detail = r.error or f"{r.failures} failing rows"
        err.print(f"[red]FAIL[/red] {r.model}: {r.test} ({detail})", highlight=False)
    out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed", highlight=False)
    if failed:
        sys.exit(EXIT_MODELS)
