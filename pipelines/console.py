"""What every command shares: the two consoles, one-line failures, and the destination options."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from .pipeline import SyncError

out = Console()
err = Console(stderr=True)


def fail(error: SyncError) -> None:
    """Print the one-line reason (never a traceback) and exit with the code cron acts on."""
    err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
    sys.exit(error.exit_code)


def destination_options(fn: Any) -> Any:
    fn = click.option("--duckdb-path", default=None, metavar="PATH",
                      help="DuckDB file (default: asana.duckdb in the working directory).")(fn)
    fn = click.option("--destination", "-d", type=click.Choice(["duckdb", "postgres"]), default="duckdb",
                      show_default=True,
                      help="Warehouse. PostgreSQL reads DESTINATION__POSTGRES__CREDENTIALS.")(fn)
    return fn
