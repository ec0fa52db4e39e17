"""A run in checkpoint steps: each step's rows are extracted, normalized and loaded together with
the dlt state (cursors) that covers them, so a crash or a kill costs at most the unfinished step.

1. everything but the tasks; listings of one request per parent (sections, memberships, My Tasks
   lists, time tracking details) stop taking parents after ``seconds`` and go on in further steps;
2. the tasks of a few projects at a time with their subtasks, child rows and stories, starting with
   one project and doubling while a step takes under half of ``seconds`` (at most 64);
3. the last step: tasks in no project, the subtasks of known parents and deletions, again in as
   many steps as its time allows.

``seconds`` is ``ASANA_SYNC_CHECKPOINT_SECONDS`` (default 60) unless the caller passes one.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

import dlt
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sources.asana import SyncContext, asana_source
from sources.asana.settings import TOMBSTONE

from ..errors import EXIT_CONFIG, SyncError
from ..models.build import drop_models
from ..warehouse.destination import Destination
from ..warehouse.locks import load_lock

CHECKPOINT_ENV = "ASANA_SYNC_CHECKPOINT_SECONDS"
DEFAULT_CHECKPOINT_SECONDS = 60.0
MAX_STEP_PROJECTS = 64
TASK_RESOURCES = ("tasks", "stories")

Progress = Callable[[str, dict], None]


def checkpoint_seconds(explicit: Optional[float] = None) -> float:
    """The step time: ``explicit``, else ``ASANA_SYNC_CHECKPOINT_SECONDS``, else 60."""
    if explicit is not None:
        return float(explicit)
    return float(os.environ.get(CHECKPOINT_ENV) or DEFAULT_CHECKPOINT_SECONDS)


def selected_resources(source: Any, resources: Optional[Sequence[str]]) -> list[str]:
    selected = list(resources or source.resources)
    unknown = sorted(set(selected) - set(source.resources))
    if unknown:
        raise SyncError(f"unknown resource(s) {', '.join(unknown)}; choose from {', '.join(source.resources)}",
                        EXIT_CONFIG)
    return selected


def checkpoint_steps(ctx: SyncContext, selected: Sequence[str], seconds: float) -> Iterator[tuple[str, Any]]:
    """The steps of one run, each ``(label, source)``: a source of the run's ``SyncContext``
    limited to what the step loads."""
    others = [r for r in selected if r not in TASK_RESOURCES]
    task_resources = [r for r in selected if r in TASK_RESOURCES]
    clock = ctx.clock
    if others:
        clock.start(seconds)
        yield "", asana_source(context=ctx).with_resources(*others)
        while clock.unfinished:
            again = [r for r in others if r in clock.unfinished]
            clock.start(seconds)
            yield f"{', '.join(again)} continued", asana_source(context=ctx).with_resources(*again)
    if task_resources:
        yield from _task_steps(ctx, task_resources, seconds)


def _task_steps(ctx: SyncContext, task_resources: list[str], seconds: float) -> Iterator[tuple[str, Any]]:
    projects = ctx.listings.project_gids()
    clock = ctx.clock
    done, size = 0, 1
    while True:
        group = projects[done:done + size]
        done += len(group)
        final = done >= len(projects)
        started = time.monotonic()
        clock.start(seconds)
        step = asana_source(context=ctx, task_projects=group, final_step=final)
        yield f"tasks of {done}/{len(projects)} projects", step.with_resources(*task_resources)
        if final:
            break
        if time.monotonic() - started < seconds / 2:
            size = min(size * 2, MAX_STEP_PROJECTS)
    while "tasks" in clock.unfinished:
        clock.start(seconds)
        step = asana_source(context=ctx, task_projects=[], final_step=True)
        yield "tasks in no project, continued", step.with_resources(*task_resources)


def run_step(pipeline: dlt.Pipeline, destination: Destination, source: Any, label: str,
             tallies: tuple[dict, dict], progress: Progress, report: Any, refresh: bool = False) -> None:
    """Extract, normalize and load one step; its rows and dlt state land together or not at all.
    ``tallies`` (rows written, replacement markers among them) add up per table over the steps."""
    suffix = f" ({label})" if label else ""
    progress("extract" + suffix, {"report": report})
    pipeline.extract(source, refresh="drop_sources" if refresh else None, loader_file_format=destination.file_format)
    progress("normalize" + suffix, {"report": report})
    pipeline.normalize()
    rows, markers = tallies
    info = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    for table, count in (dict(info.row_counts) if info else {}).items():
        if not table.startswith("_dlt"):
            rows[table] = rows.get(table, 0) + count
    for table, count in replacement_markers(pipeline).items():
        markers[table] = markers.get(table, 0) + count
    progress("load" + suffix, {"report": report})
    if refresh:
        # Only now that everything was read: views would stop PostgreSQL dropping raw tables.
        drop_models(destination)
    with load_lock(destination):
        pipeline.load()


def replacement_markers(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Per table, the rows of the normalized packages that only clear a parent's old rows (marked
    ``_tombstone``: hard-deleted on load, never stored)."""
    counts: dict[str, int] = {}
    for load_id in pipeline.list_normalized_load_packages():
        for job in pipeline.get_load_package_info(load_id).jobs.get("new_jobs", []):
            path = Path(job.file_path)
            if path.suffix != ".parquet" or TOMBSTONE not in pq.read_schema(path).names:
                continue
            marked = pc.sum(pq.read_table(path, columns=[TOMBSTONE])[TOMBSTONE]).as_py() or 0
            if marked:
                table = job.job_file_info.table_name
                counts[table] = counts.get(table, 0) + int(marked)
    return counts
