"""The ``asana`` dlt source: one resource per Asana endpoint family, loaded into ``asana_raw``.

Tasks are read per project with ``modified_since`` (a cursor per project in dlt state); subtasks,
which no project list returns, are crawled from their parents; stories are read only for tasks that
changed. Lists that Asana truncates are split along the hierarchy (project -> section -> search
windows) and whatever still cannot be read is recorded in ``sync_gaps``.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence

import dlt

from .client import AsanaClient, AsanaError
from .helpers import (
    custom_field_rows,
    project_row,
    section_row,
    story_row,
    story_tombstone,
    tag_row,
    team_membership_row,
    team_row,
    user_row,
    workspace_row,
)
from .settings import (
    BRIDGES,
    columns,
    CUSTOM_FIELD_FIELDS,
    DEFAULT_BASE_URL,
    DEFAULT_LOOKBACK_SECONDS,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_REQUESTS_PER_MINUTE,
    PAGE_SIZE,
    TAG_FIELDS,
    TEAM_MEMBERSHIP_FIELDS,
    TOMBSTONE,
    USER_FIELDS,
)
from . import sync as sync_module
from .sync import SyncContext, UnknownWorkspaceError

__all__ = ["asana_source", "AsanaClient", "AsanaError", "SyncContext", "UnknownWorkspaceError"]

MERGE = "merge"
STORY_BATCH_ROWS = 5_000


def _bridge_hints(table: str) -> dict:
    parent_key, child_key = BRIDGES[table]
    return {
        "table_name": table,
        "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
        "primary_key": (parent_key, child_key),
        "merge_key": parent_key,
        "columns": {**columns(table), TOMBSTONE: {"data_type": "bool", "hard_delete": True}},
    }


@dlt.source(name="asana", max_table_nesting=0)
def asana_source(
    access_token: str = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    workspaces: Optional[Sequence[str]] = None,
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    lookback_seconds: int = DEFAULT_LOOKBACK_SECONDS,
    page_size: int = PAGE_SIZE,
    reconcile: str = "auto",
    warehouse: Any = None,
    http_transport: Any = None,
) -> Any:
    """Every object the token can read, as normalized tables.

    Args:
        access_token: a personal access token or OAuth token (secret).
        base_url: the API root; point it at the simulator for demos and tests.
        workspaces: workspace gids (or exact names) to sync; all visible workspaces when empty.
        requests_per_minute: client-side budget; 1,500 on paid domains, 150 on free ones.
        max_concurrency: requests in flight at once (Asana allows 50 GETs per token).
        lookback_seconds: how far before each cursor incremental reads start again.
        page_size: items per page, 1..100 (Asana's maximum is the sensible default).
        reconcile: ``always`` lists every task each run (catching deletions, moves, tag and
            follower changes and subtask-only changes, none of which bump ``modified_at``);
            ``never`` uses ``modified_since`` only; ``auto`` reconciles every run below 50,000
            tasks and once a day above.
        warehouse: what the destination holds already (see ``SyncContext``); the pipeline passes it.
        http_transport: an ``httpx`` transport, for in-process tests against the simulator.
    """
    client = AsanaClient(
        access_token,
        base_url=base_url,
        requests_per_minute=requests_per_minute,
        max_concurrency=max_concurrency,
        transport=http_transport,
        page_size=page_size,
    )
    ctx = SyncContext(client, workspaces=workspaces, lookback_seconds=lookback_seconds, reconcile=reconcile,
                      warehouse=warehouse)
    # The pipeline reads request counts and gaps from here after the run.
    sync_module.LAST_CONTEXT = ctx
    task_resource = tasks(ctx)
    return (
        workspaces_resource(ctx),
        users(ctx),
        teams(ctx),
        team_memberships(ctx),
        projects(ctx),
        sections(ctx),
        tags(ctx),
        custom_fields(ctx),
        task_resource,
        task_resource | stories(ctx),
    )


@dlt.resource(name="workspaces", write_disposition=MERGE, primary_key="gid", columns=columns("workspaces"))
def workspaces_resource(ctx: Any) -> Iterator[list[dict]]:
    yield [workspace_row(w) for w in ctx.workspaces()]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("users"))
def users(ctx: Any) -> Iterator[Any]:
    for workspace in ctx.workspaces():
        for page in ctx.client.paginate("/users", {"workspace": workspace["gid"], "opt_fields": USER_FIELDS}):
            yield [user_row(u) for u in page]
            yield dlt.mark.with_hints(
                [{"workspace_gid": workspace["gid"], "user_gid": u["gid"]} for u in page],
                dlt.mark.make_hints(table_name="workspace_users", write_disposition=MERGE,
                                    primary_key=("workspace_gid", "user_gid"), columns=columns("workspace_users")), create_table_variant=True)


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("teams"))
def teams(ctx: Any) -> Iterator[list[dict]]:
    yield [team_row(t) for t in ctx.teams()]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("team_memberships"))
def team_memberships(ctx: Any) -> Iterator[list[dict]]:
    def fetch(team: dict) -> list[dict]:
        return ctx.client.get_all(f"/teams/{team['gid']}/team_memberships", {"opt_fields": TEAM_MEMBERSHIP_FIELDS})

    for members in ctx.client.map(fetch, ctx.teams()):
        yield [team_membership_row(m) for m in members]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("projects"))
def projects(ctx: Any) -> Iterator[list[dict]]:
    yield [project_row(p) for p in ctx.projects()]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("sections"))
def sections(ctx: Any) -> Iterator[list[dict]]:
    for project_gid, project_sections in ctx.client.map(ctx.sections_of, [p["gid"] for p in ctx.projects()]):
        yield [section_row(s, project_gid) for s in project_sections]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("tags"))
def tags(ctx: Any) -> Iterator[list[dict]]:
    for workspace in ctx.workspaces():
        for page in ctx.client.paginate("/tags", {"workspace": workspace["gid"], "opt_fields": TAG_FIELDS}):
            yield [tag_row(t, workspace["gid"]) for t in page]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("custom_fields"))
def custom_fields(ctx: Any) -> Iterator[Any]:
    for workspace in ctx.workspaces():
        path = f"/workspaces/{workspace['gid']}/custom_fields"
        for page in ctx.client.paginate(path, {"opt_fields": CUSTOM_FIELD_FIELDS}):
            rows, options = [], []
            for cf in page:
                row, cf_options = custom_field_rows(cf, workspace["gid"])
                rows.append(row)
                options.extend(cf_options)
            yield rows
            if options:
                yield dlt.mark.with_hints(
                    options,
                    dlt.mark.make_hints(table_name="custom_field_enum_options", write_disposition=MERGE,
                                        primary_key=("custom_field_gid", "gid"),
                                        columns=columns("custom_field_enum_options")), create_table_variant=True)


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("tasks"))
def tasks(ctx: Any) -> Iterator[Any]:
    """Changed tasks (and their subtasks) per project, plus assigned tasks in no project.

    State (``dlt.current.resource_state()``), kept in the destination with the data:
    ``{"project_cursors": {"<project gid>": "<max modified_at seen>"}, "assignee_cursors": {...},
    "subtask_parents": {"<task gid>": 1}, "subtask_cursor": "<max modified_at of a subtask>"}``.
    """
    state = dlt.current.resource_state()
    for batch in ctx.changed_tasks(state):
        for table, rows in batch.items():
            if not rows:
                continue
            if table == "tasks":
                yield rows
            else:
                yield dlt.mark.with_hints(rows, dlt.mark.make_hints(**_bridge_hints(table)), create_table_variant=True)
    # Gaps are found while listing tasks, so this resource is the one that records them.
    if ctx.gaps:
        yield dlt.mark.with_hints(list(ctx.gaps), dlt.mark.make_hints(
            table_name="sync_gaps", write_disposition="append", columns=columns("sync_gaps")), create_table_variant=True)


@dlt.transformer(
    write_disposition={"disposition": "merge", "strategy": "delete-insert"},
    primary_key="gid",
    merge_key="task_gid",
    columns={**columns("stories"), TOMBSTONE: {"data_type": "bool", "hard_delete": True}},
)
def stories(items: Any, ctx: Any) -> Iterator[list[dict]]:
    """Stories of the tasks that changed in this run, replacing each such task's stories."""
    if not isinstance(items, list):
        items = [items]
    # The tasks resource also yields bridge rows; only task rows (they carry parent_gid) lead to stories.
    task_gids = [row["gid"] for row in items if isinstance(row, dict) and "parent_gid" in row
                 and row.get("gid") in ctx.changed_gids and not row.get("is_deleted")]
    # One yield per batch: dlt re-validates table hints on every yield, which costs more than the
    # rows themselves when a yield holds one task's handful of stories.
    rows: list[dict] = []
    for task_gid, task_stories in ctx.client.map(ctx.stories_of, task_gids):
        if task_stories is not None:
            rows.append(story_tombstone(task_gid))
            rows.extend(story_row(s, task_gid) for s in task_stories)
        if len(rows) >= STORY_BATCH_ROWS:
            yield rows
            rows = []
    if rows:
        yield rows
