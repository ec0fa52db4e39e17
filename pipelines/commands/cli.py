"""``asana-sync``: a thin command-line shell over the library calls of ``pipelines.sync`` (a run),
``pipelines.models`` (the SQL models) and the commands' own modules (status, check, export, demo).
Every command prints one ``error:`` line and exits with a documented code on failure."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any, Optional

import click
from rich.markup import escape
from rich.table import Table

from asana_sim import parse_fault_rates
from asana_sim.server import main as serve_simulator
from sources.asana import RESOURCE_DESCRIPTIONS

from ..errors import EXIT_DESTINATION, EXIT_INTERRUPTED, SyncError, explain
from ..models.build import build_models
from ..models.docs import generate
from ..sync.partitions import Partition, resolve_partition
from ..sync.run import SyncResult, run_lock, run_sync
from ..warehouse.destination import Destination
from ..warehouse.locks import run_in_progress
from .check import run_check
from .console import Group, destination_options, err, fail, out, warn
from .demo import reference_from_demo, run_demo
from .export import export
from .jsonlog import FORMAT_ENV, emit, json_enabled
from .query import OUTPUT_FORMATS, run_query, write_result
from .models_cli import models
from .progress import print_result, progress_for
from .status import parse_age, print_status, status_report


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="asana-sync")
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None, envvar=FORMAT_ENV,
              help="json: one JSON event per line on stderr (phases, progress ticks, result, error) for log "
                   "shippers [env ASANA_SYNC_LOG_FORMAT; default text].")
@click.pass_context
def main(ctx: click.Context, log_format: Optional[str] = None) -> None:
    """Sync Asana into DuckDB or PostgreSQL and build SQL reporting models.

    \b
    Example:
        export SOURCES__ASANA__ACCESS_TOKEN=...   # a personal access token
        asana-sync run
        asana-sync --log-format json run --quiet   # JSON lines for a log shipper
    """
    # Kept in the context for every command of this invocation (jsonlog.json_enabled reads it).
    ctx.obj = {"log_format": log_format}


@main.command()
@destination_options
@click.option("--workspace", "-w", "workspaces", multiple=True, metavar="GID",
              help="Workspace gid or exact name to sync (repeatable; default: all visible).")
@click.option("--resource", "-r", "resources", multiple=True, metavar="NAME",
              help="Resource to sync (repeatable; default: all). See `asana-sync resources`.")
@click.option("--full-refresh", is_flag=True, help="Drop the loaded tables and cursors, then sync everything.")
@click.option("--no-models", is_flag=True, help="Load only; do not build the SQL models.")
@click.option("--accept-gaps", is_flag=True,
              help="Exit 0 even when some listing could not be read completely (gaps are still recorded).")
@click.option("--requests-per-minute", type=click.IntRange(1), default=None,
              help="Client-side rate limit (default 1500; use 150 on free Asana domains).")
@click.option("--max-concurrency", type=click.IntRange(1, 50), default=None,
              help="Most requests in flight (default 50, Asana's cap per token); the client keeps as many as the "
                   "rate limit needs at Asana's latency, about 14 at 1,500/min and 250 ms.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.option("--partition", "partition", default=None, metavar="workspace:GID|team:GID",
              help="Sync one partition (its own state, cursors and lock) alongside others into the same "
                   "warehouse; builds no models. See docs/operations/partitions.md.")
@click.option("--partitions", "partition_count", default="1", show_default=True, metavar="N|P1,P2,...",
              help="How many partitions run at once (each takes 1/N of --requests-per-minute and "
                   "--max-concurrency), or the list of all of them, so that a workspace partition leaves "
                   "the teams with a partition of their own to them.")
def run(destination: str, duckdb_path: Optional[str], workspaces: tuple, resources: tuple, full_refresh: bool,
        no_models: bool, accept_gaps: bool, requests_per_minute: Optional[int], max_concurrency: Optional[int],
        quiet: bool, partition: Optional[str] = None, partition_count: str = "1") -> None:
    """Run one sync: load changed data, then build the models.

    Exit codes: 0 ok, 2 configuration, 3 bad token, 4 another run in progress,
    5 Asana API error (after loading everything else), 6 completed with truncated listings,
    7 destination error, 8 models failed, 9 Asana unreachable (nothing read; retry later),
    130 interrupted, 1 a bug.

    \b
    Examples:
        SOURCES__ASANA__ACCESS_TOKEN=... asana-sync run --workspace 1234567890
        asana-sync run --partition team:111 --partitions team:111,workspace:999
    """
    try:
        target = Destination.parse(destination, duckdb_path)
        if partition:
            target.partition = Partition.parse(partition, partition_count)
            no_models = True  # built once after all partitions (asana-sync models run)
    except SyncError as error:
        fail(error)
    options: dict = {}
    if requests_per_minute:
        options["requests_per_minute"] = requests_per_minute
    if max_concurrency:
        options["max_concurrency"] = max_concurrency
    result = sync_and_build(target, quiet, build=not no_models, workspaces=workspaces, resources=resources,
                            full_refresh=full_refresh, source_options=options, accept_gaps=accept_gaps)
    if result.outcome.exit_code:
        # Everything else was loaded; a non-zero exit so cron notices, and the next run reads those parts again.
        fail(SyncError(result.outcome.reason, result.outcome.exit_code))


def _age(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[timedelta]:
    if not value:
        return None
    try:
        return parse_age(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@main.command()
@destination_options
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON document (health, runs with outcome, requests, rows and 429s; rows per table; "
                   "cursors; open gaps; next reconciliation) instead of text. The exit code is the health either "
                   "way: 0 healthy; the last run's own code when it stopped (2, 3, 4, 7, 9, 130; 137 killed); "
                   "11 first sync unfinished; 5 requests failed; 6 truncation gaps open; 10 last success older than "
                   "--max-age; 7 no or unreadable warehouse.")
@click.option("--partition", "partition", default=None, metavar="workspace:GID|team:GID",
              help="One partition's runs, gaps and cursors (its own state). Without it, runs of every partition "
                   "are listed and the health weighs each partition's last run.")
@click.option("--max-age", callback=_age, default=None, metavar="AGE",
              help="Unhealthy (exit 10) when the last success ended longer ago than this: 90m, 2h, 1d "
                   "[config status.max_age; default: no limit].")
def status(destination: str, duckdb_path: Optional[str], as_json: bool = False, partition: Optional[str] = None,
           max_age: Optional[timedelta] = None) -> None:
    """Show the warehouse's health, the last runs, rows per table and incremental cursors; exit
    non-zero when it is unhealthy.

    \b
    Example:
        asana-sync status --duckdb-path asana.duckdb
        asana-sync status --json --max-age 2h || alert   # non-zero: a run failed, was killed, gaps, stale
        asana-sync status --partition team:1234567890
    """
    try:
        target = Destination.parse(destination, duckdb_path)
        if partition:
            target.partition = resolve_partition(target, Partition.parse(partition))
        report = status_report(target, max_age=max_age)
    except SyncError as error:
        if as_json:
            sys.stdout.write(json.dumps({"healthy": False, "exit_code": error.exit_code, "reason": str(error)}) + "\n")
            sys.stdout.flush()
        fail(error)
    if as_json:
        sys.stdout.write(json.dumps(report, default=str, indent=1) + "\n")
        sys.stdout.flush()
    else:
        print_status(report)
    if report["exit_code"]:
        sys.exit(report["exit_code"])


def _fault_rates(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[dict]:
    if not value:
        return None
    try:
        return parse_fault_rates(value)
    except Exception as error:  # noqa: BLE001 - argparse's own type error, one line
        raise click.BadParameter(str(error)) from None


@main.command()
@click.option("--size", type=click.Choice(["small", "demo", "large"]), default="demo", show_default=True,
              help="Organization size: demo is 50 projects and ~18,600 tasks, large ~200,000 tasks.")
@click.option("--seed", type=int, default=1, show_default=True, help="Data generator seed.")
@click.option("--duckdb-path", default="demo.duckdb", show_default=True, metavar="PATH", help="Where to load.")
@click.option("--max-concurrent-gets", type=click.IntRange(1), default=None,
              help="GETs the simulator allows in flight; over it 429 with Retry-After (Asana: 50).")
@click.option("--throttle-share", type=click.FloatRange(0, 1), default=None,
              help="Deterministic share of GETs answered 429 (0.02 = every 50th).")
@click.option("--retry-after", type=click.IntRange(0), default=None, help="Retry-After seconds of every 429.")
@click.option("--fault-rates", callback=_fault_rates, default=None, metavar="KIND=RATE,...",
              help="Per-kind fault probabilities (500, 502, 503, 504, drop, slow, 429); default 0.2% each of "
                   "500/502/503/504/drop.")
@click.option("--latency", type=click.FloatRange(0, 30), default=None, metavar="SECONDS",
              help="Seconds every answer takes (Asana: about 0.25). With it the sync keeps Asana's 1,500 "
                   "requests/min, as against the real API; without it the demo runs unthrottled.")
@click.option("--latency-sigma", type=click.FloatRange(0, 3), default=None,
              help="Spread of --latency: each answer lognormal around it (0.5 is realistic).")
def demo(size: str, seed: int, duckdb_path: str, max_concurrent_gets: Optional[int],
         throttle_share: Optional[float], retry_after: Optional[int], fault_rates: Optional[dict],
         latency: Optional[float], latency_sigma: Optional[float]) -> None:
    """Sync a simulated Asana organization into demo.duckdb; no Asana account needed.

    \b
    Examples (a server that allows 4 requests at once and throttles every 50th; Asana's latency):
        asana-sync demo --size small --max-concurrent-gets 4 --throttle-share 0.02
        asana-sync demo --size small --latency 0.25 --latency-sigma 0.5
    """
    weather = {key: value for key, value in (("max_concurrent_gets", max_concurrent_gets),
                                             ("throttle_share", throttle_share), ("retry_after_s", retry_after),
                                             ("fault_rates", fault_rates), ("latency_s", latency),
                                             ("latency_sigma", latency_sigma)) if value is not None}
    try:
        with progress_for(quiet=False) as progress:
            run_demo(size=size, seed=seed, duckdb_path=duckdb_path, console=out, weather=weather,
                     on_progress=progress)
    except SyncError as error:
        fail(error)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                "help_option_names": []}, add_help_option=False)
@click.pass_context
def simulate(ctx: click.Context) -> None:
    """Serve the Asana simulator over HTTP until interrupted (`asana-sync simulate --help` lists its
    sizes, limits and faults).

    \b
    Example:
        asana-sync simulate --size demo --max-concurrent-gets 4 --throttle-share 0.02
    """
    # The simulator's own parser reads the arguments as given: one parser, one set of flags.
    sys.exit(serve_simulator(list(ctx.args), prog="asana-sync simulate") or 0)


@main.command(name="resources")
def list_resources() -> None:
    """List the source's resources (for `run --resource`).

    \b
    Example:
        asana-sync resources
    """
    for name, description in RESOURCE_DESCRIPTIONS.items():
        out.print(f"{name:22} {description}", highlight=False, soft_wrap=True)


@main.command(name="docs")
@click.option("--duckdb-path", default=None, metavar="PATH",
              help="A DuckDB warehouse with the raw tables loaded and the models built (default: load the small "
                   "demo organization into a temporary file first, ~20 s).")
@click.option("--output-dir", "-o", default="docs/reference", show_default=True, metavar="DIR",
              help="Where to write the pages and diagrams.")
def docs_command(duckdb_path: Optional[str], output_dir: str) -> None:
    """Write the table reference: every raw table and model with its grain, keys, columns and types,
    and SVG relationship diagrams (docs/reference/).

    \b
    Example:
        asana-sync docs                                   # from a fresh small demo load
        asana-sync docs --duckdb-path asana.duckdb -o /tmp/reference
    """
    try:
        if duckdb_path is None:
            written = reference_from_demo(output_dir)
        else:
            path = Path(duckdb_path).expanduser().resolve()
            if not path.is_file():
                raise SyncError(f"no DuckDB warehouse at {path}", EXIT_DESTINATION)
            written = generate(path, output_dir)
    except SyncError as error:
        fail(error)
    except ValueError as error:  # no dlt schema, models not built
        fail(SyncError(str(error), EXIT_DESTINATION))
    except Exception as exc:  # noqa: BLE001
        fail(explain(exc))
    for path in written:
        out.print(f"wrote {path}", highlight=False)
def sync_and_build(target: Destination, quiet: bool, build: bool = True, **sync_args: Any) -> SyncResult:
    """What `run` does, and `--sync` of the commands that read the warehouse: one sync, then the
    models, with progress output and the result printed. Failures exit with their code."""
    loaded = False
    try:
        with progress_for(quiet) as progress:
            result = run_sync(target, on_progress=progress, **sync_args)
            loaded = True
            if build:
                progress("models", {})
                with run_lock(target):
                    result.models = build_models(target)
    except SyncError as error:
        fail(error)
    except KeyboardInterrupt:
        fail(SyncError("interrupted while building the models; the data is loaded, `asana-sync models run` "
                       "builds them" if loaded else "interrupted", EXIT_INTERRUPTED))
    except Exception as exc:  # noqa: BLE001
        fail(explain(exc))
    if not quiet or json_enabled():  # a log shipper gets the `finished` event, --quiet or not
        print_result(result, target)
    return result


def _sync_exit(result: Optional[SyncResult]) -> None:
    """After a `--sync`, the exit code `run` would have given for failed requests or gaps."""
    if result is not None and result.outcome.exit_code:
        fail(SyncError(f"{result.outcome.reason}; everything else was exported", result.outcome.exit_code))


@main.command(name="export")
@destination_options
@click.option("--format", "-f", "fmt", type=click.Choice(["csv", "parquet", "jsonl"]), default="parquet",
              show_default=True, help="File format: CSV with a header, Parquet, or JSON lines (one object a line).")
@click.option("--out", "-o", "out_dir", required=True, metavar="DIR",
              help="Folder to write into (created if missing): DIR/<schema>/<table>.<ext>, a query's result "
                   "in DIR/<name>.<ext>. Existing files of the same name are replaced.")
@click.option("--table", "-t", "tables", multiple=True, metavar="TABLE",
              help="A raw table or model (`tasks`, `asana__project`, `asana_raw.tasks`; repeatable). Default: "
                   "every raw table (less dlt's _dlt_* tables) and every mart.")
@click.option("--query", default=None, metavar="SQL", help="Export the result of this SELECT instead (read-only).")
@click.option("--name", default="query", show_default=True, metavar="NAME", help="File name of the --query result.")
@click.option("--sync", "sync_first", is_flag=True, help="Run a sync (and build the models) first, as `run` does.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def export_command(destination: str, duckdb_path: Optional[str], fmt: str, out_dir: str, tables: tuple,
                   query: Optional[str], name: str, sync_first: bool, quiet: bool) -> None:
    """Write raw tables, models or a query's result as CSV, Parquet or JSON lines files, straight from
    the warehouse's bulk path (DuckDB COPY, PostgreSQL Arrow batches).

    Exit codes: 0 ok, 2 unknown table, a query the warehouse refuses, or --table with --query,
    7 no warehouse, warehouse unreadable or the folder not writable (disk full), 1 a bug;
    with --sync also those of `run`.

    \b
    Example:
        asana-sync export --format parquet --out export/ --table tasks --table asana__project
    """
    result = None
    try:
        target = Destination.parse(destination, duckdb_path)
        if sync_first:
            result = sync_and_build(target, quiet)
        elif run_in_progress(target):
            warn("a run is in progress: this export holds what its loaded checkpoint steps have committed so far "
                 "(a first sync in progress is not complete yet)", "export")

        def show(file: Any) -> None:
            if json_enabled():
                emit("exported", "export", source=file.source, path=str(file.path), rows=file.rows, bytes=file.bytes,
                     seconds=round(file.seconds, 2))
            elif not quiet:
                out.print(f"{file.source}: {file.rows} rows -> {file.path} ({file.bytes / 1e6:.1f} MB, "
                          f"{file.seconds:.1f}s)", highlight=False, soft_wrap=True)

        files = export(target, out_dir, fmt, tables=tables, query=query, name=name, on_file=show)
    except SyncError as error:
        fail(error)
    if not quiet and not json_enabled():
        out.print(f"exported {len(files)} file(s), {sum(f.rows for f in files)} rows, as {fmt} into {out_dir}",
                  highlight=False)
    _sync_exit(result)


@main.command(name="query")
@destination_options
@click.argument("sql")
@click.option("--format", "-f", "fmt", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True,
              help="table: a table to read; csv: a header and the rows; json: one object per row and line.")
def query_command(destination: str, duckdb_path: Optional[str], sql: str, fmt: str) -> None:
    """Run one read-only SQL query on the warehouse and print the result; the models'
    schema (asana_analytics) and the raw tables' (asana_raw) are on the search path.

    Exit codes: 0 ok, 2 not a read-only query or one the warehouse refuses, 7 no warehouse or it
    cannot be read.

    \b
    Example:
        asana-sync query "select count(*) from asana_analytics.asana__task"
        asana-sync query --format csv "select * from asana__project" > projects.csv
    """
    try:
        result = run_query(Destination.parse(destination, duckdb_path), sql)
    except SyncError as error:
        fail(error)
    if fmt != "table":
        write_result(result, fmt)
        return
    table = Table(*result.columns)
    for row in result.rows:
        table.add_row(*("" if value is None else escape(str(value)) for value in row))
    out.print(table)
    out.print(f"{len(result.rows)} row(s)", highlight=False)


@main.command(name="check")
@destination_options
@click.option("--workspace", "-w", "workspaces", multiple=True, metavar="GID",
              help="Workspace gid or exact name to check (repeatable; default: those `run` would sync).")
@click.option("--requests-per-minute", type=click.IntRange(1), default=None,
              help="Rate limit to pace the check and estimate with (default: the configured one, 1500).")
@click.option("--sample-projects", type=click.IntRange(1), default=10, show_default=True,
              help="Projects per workspace whose tasks are listed for the estimate.")
def check_command(destination: str, duckdb_path: Optional[str], workspaces: tuple,
                  requests_per_minute: Optional[int], sample_projects: int) -> None:
    """Check the token, the workspaces it can read (organization? premium?) and the destination, and
    estimate the first full sync: objects, requests and time at the rate limit.

    Exit codes: 0 all good, 2 configuration, 3 token rejected, 5 a workspace or listing refused
    or failed, 7 destination, 1 a bug.

    \b
    Example:
        SOURCES__ASANA__ACCESS_TOKEN=... asana-sync check --requests-per-minute 150
    """
    options = {"requests_per_minute": requests_per_minute} if requests_per_minute else {}
    try:
        target = Destination.parse(destination, duckdb_path)
        with err.status("checking", spinner="dots") if err.is_terminal else nullcontext() as status:
            def say(message: str) -> None:
                if status is not None:
                    status.update(message)

            report = run_check(target, source_options=options, workspaces=workspaces,
                               sample_projects=sample_projects, say=say)
    except SyncError as error:
        fail(error)
    _print_check(report)
    if report.problems:
        first = sorted(report.problems, key=lambda p: p.exit_code != report.exit_code)[0]
        more = f" (and {len(report.problems) - 1} more problem(s) above)" if len(report.problems) > 1 else ""
        fail(SyncError(f"{first}{more}", report.exit_code))


def _print_check(report: Any) -> None:
    ok, bad = "[green]ok[/green]", "[red]FAILED[/red]"
    auth = [p for p in report.problems if p.exit_code == 3]
    if report.user:
        who = " ".join(filter(None, [report.user.get("name"), f"<{report.user['email']}>" if report.user.get("email")
                                     else None]))
        out.print(f"token: {ok}, {escape(who)} (gid {report.user.get('gid')}) at {escape(report.base_url)}")
    elif auth:
        out.print(f"token: {bad}: {escape(str(auth[0]))}")
    if report.workspaces:
        table = Table("workspace", "gid", "org", "premium", "teams", "projects", "users", "~tasks", "~requests",
                      title="workspaces this token can read")
        table.columns[1].no_wrap = True
        for w in report.workspaces:
            premium = "yes" if w.premium else "no (402)" if w.premium is False else f"unknown ({w.premium_note})"
            table.add_row(escape(w.name), w.gid, "yes" if w.is_organization else "no", premium, str(w.teams),
                          str(w.projects), str(w.users), f"{w.estimated_tasks:,}", f"{w.estimated_requests:,}")
        out.print(table)
    for where, reason in report.refused.items():
        out.print(f"[red]refused:[/red] {escape(where)}: {escape(reason)}")
    for where, reason in report.unavailable.items():
        out.print(f"note: {escape(where)} is not available to this token ({escape(reason)}); a sync skips it")
    destination_problems = [p for p in report.problems if p.exit_code == 7]
    if report.destination_ok:
        out.print(f"destination: {ok}, {escape(report.destination)}: {escape(report.destination_note)}")
    elif destination_problems:
        out.print(f"destination: {bad}: {escape(str(destination_problems[0]))}")
    if report.workspaces:
        rpm = report.requests_per_minute
        minutes = report.estimated_minutes
        when = f"{minutes * 60:.0f} s" if minutes < 1 else f"{minutes:.0f} min" if minutes < 120 \
            else f"{minutes / 60:.1f} h"
        out.print(f"first full sync (estimate): ~{report.estimated_tasks:,} tasks, "
                  f"{sum(w.projects for w in report.workspaces):,} projects, "
                  f"{sum(w.users for w in report.workspaces):,} users; ~{report.estimated_requests:,} requests, "
                  f"~{when} at {rpm:,.0f} requests/min", highlight=False)
        out.print(f"how: {escape(report.method())}", highlight=False, soft_wrap=False)
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
    out.print(f"checked with {report.requests_made} requests in {report.seconds:.1f}s", highlight=False)


main.add_command(models)

if __name__ == "__main__":  # pragma: no cover
    main()
