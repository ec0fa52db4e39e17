"""The SQL models as library calls: build, test and drop them in a destination's warehouse.

``asana-sync run`` builds them after every sync, ``asana-sync models ...`` on demand; a failure is one
line with its exit code (8 for a model, 7 for the warehouse).
"""

from __future__ import annotations

from typing import Optional

from ..errors import EXIT_DESTINATION, EXIT_MODELS, SyncError, first_line
from ..warehouse.destination import Destination
from ..warehouse.preflight import require_warehouse
from ..warehouse.runtime import make_pipeline
from .project import MODEL_SCHEMA, ModelError, ModelProject


def model_project() -> ModelProject:
    """The project of sql/, or exit 8 naming what is wrong with a model file."""
    try:
        return ModelProject.load()
    except ModelError as error:
        raise SyncError(f"model error: {error}", EXIT_MODELS) from None


def build_models(destination: Destination, select: Optional[str] = None) -> list:
    """Build the models into schema ``asana_analytics``; a failure names the model and its file."""
    project = model_project()
    try:
        return project.build(make_pipeline(destination), select=select)
    except ModelError as error:
        raise SyncError(f"model build failed: {error}", EXIT_MODELS) from None
    except Exception as error:  # noqa: BLE001 - the destination's own error, in one line
        raise SyncError(f"cannot build models in {destination.describe()}: {first_line(error)}",
                        EXIT_DESTINATION) from None


def run_model_tests(destination: Destination, select: Optional[str] = None, read_only: bool = False) -> list:
    """Run the models' data tests (grain unique and not null, references resolve). ``read_only``
    (the ``models test`` command) requires an existing warehouse and opens it read-only."""
    project = model_project()
    if read_only:
        require_warehouse(destination)
    try:
        return project.test(make_pipeline(destination, read_only=read_only), select=select)
    except Exception as error:  # noqa: BLE001
        raise SyncError(f"cannot test models in {destination.describe()}: {first_line(error)}",
                        EXIT_DESTINATION) from None


def drop_models(destination: Destination) -> None:
    """Drop the model schema: PostgreSQL refuses to drop raw tables that views still depend on,
    which a full refresh must do. The next build recreates everything."""
    pipeline = make_pipeline(destination)
    try:
        with pipeline.sql_client() as client:
            # Unqualified: the connection's catalog is the warehouse; DuckDB calls "<file>"."<schema>"
            # ambiguous in DROP SCHEMA when the file and the schema share a name (asana.duckdb).
            client.execute_sql(f'drop schema if exists "{MODEL_SCHEMA}" cascade')
    except Exception as error:  # noqa: BLE001
        raise SyncError(f"cannot drop the models in {destination.describe()}: {first_line(error)}",
                        EXIT_DESTINATION) from None
