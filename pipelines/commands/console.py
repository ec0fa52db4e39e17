"""What every command shares: the two consoles, one-line failures, and the destination options."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from ..errors import EXIT_INTERRUPTED, SyncError, explain, shorten
from .jsonlog import emit, json_enabled

def _console(stderr: bool = False) -> Console:
    """A terminal gets rich's layout; a pipe or a file (cron, CI, a log shipper) one line per message
    and tables as wide as their cells, never wrapped or cut at 80 columns."""
    console = Console(stderr=stderr)
    return console if console.is_terminal else Console(stderr=stderr, width=100_000, soft_wrap=True)


out = _console()
err = _console(stderr=True)


def fail(error: SyncError) -> None:
    """Print the one-line reason (never a traceback) and exit with the code cron acts on."""
    if json_enabled():
        context = click.get_current_context(silent=True)
        emit("error", command=context.info_name if context else "asana-sync", exit_code=error.exit_code,
             message=shorten(str(error)))
    err.print(f"[red]error:[/red] {escape(shorten(str(error)))}", highlight=False, soft_wrap=True)
    if error.exit_code == EXIT_INTERRUPTED:
        # Stop now: worker threads still waiting on Asana must not hold the process open.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(EXIT_INTERRUPTED)
    sys.exit(error.exit_code)


def warn(message: str, command: str) -> None:
    """A warning: a ``warning`` event, or a ``warning:`` line on stderr."""
    if json_enabled():
        emit("warning", command, message=message)
        return
    err.print("[yellow]warning:[/yellow] " + escape(message), highlight=False, soft_wrap=True)


def note(message: str) -> None:
    err.print(f"note: {escape(message)}", highlight=False, soft_wrap=True)


class Group(click.Group):
    """A click group whose commands never end in a traceback or click's "Aborted!" (exit 1) on Ctrl-C:
    an interrupt exits 130, any other escaped error is explained in one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            fail(SyncError("interrupted", EXIT_INTERRUPTED))
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except SyncError as error:
            fail(error)
        except Exception as exc:  # noqa: BLE001 - one line and an exit code, never a traceback
            fail(explain(exc))


def destination_options(fn: Any) -> Any:
    fn = click.option("--duckdb-path", default=None, metavar="PATH",
                      help="DuckDB file (default: asana.duckdb in the working directory).")(fn)
    fn = click.option("--destination", "-d", type=click.Choice(["duckdb", "postgres"]), default="duckdb",
                      show_default=True,
                      help="Warehouse. PostgreSQL credentials the dlt way: DESTINATION__POSTGRES__CREDENTIALS "
                           "or [destination.postgres] in .dlt/secrets.toml.")(fn)
    return fn
