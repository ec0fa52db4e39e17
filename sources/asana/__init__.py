"""The ``asana`` dlt source: one resource per Asana endpoint family, loaded into ``asana_raw``.

Tasks are read per project with ``modified_since`` (a cursor per project in dlt state); subtasks,
which no project list returns, are crawled from their parents; stories are read only for tasks that
changed. Lists that Asana truncates are split along the hierarchy (project -> section -> search
windows) and whatever still cannot be read is recorded in ``sync_gaps``.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence, Union

import dlt

from .client import AsanaClient, AsanaError
from .helpers import (
    copy_row,
    gid_of,
    custom_field_rows,
    kept_rows,
    deleted_rows,
    tombstone,
    story_row,
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
    SECTION_FIELDS,
    TAG_FIELDS,
    TOMBSTONE,
    opt_fields,
)
from . import sync as sync_module
from .sync import InvalidOptionError, SyncContext, UnknownWorkspaceError

__all__ = ["asana_source", "AsanaClient", "AsanaError", "SyncContext", "UnknownWorkspaceError"]

MERGE = "merge"
STORY_BATCH_ROWS = 5_000


def replace_hints(table: str, parent_key: str, primary_key: Any = "gid") -> dict:
    """Rows replaced per parent: each parent's rows are deleted, then its current ones inserted."""
    return {
        "table_name": table,
        "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
        "primary_key": primary_key,
        "merge_key": parent_key,
        "columns": {**columns(table), TOMBSTONE: {"data_type": "bool", "hard_delete": True}},
    }


def _bridge_hints(table: str) -> dict:
    parent_key, child_key = BRIDGES[table]
    return replace_hints(table, parent_key, (parent_key, child_key))


@dlt.source(name="asana", max_table_nesting=0)
def asana_source(
    access_token: str = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    workspaces: Optional[Union[str, Sequence[str]]] = None,
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    lookback_seconds: int = DEFAULT_LOOKBACK_SECONDS,
    page_size: int = PAGE_SIZE,
    reconcile: str = "auto",
    attachments: str = "auto",
    warehouse: Any = None,
    http_transport: Any = None,
) -> Any:
    """Every object the token can read, as normalized tables.

    Args:
        access_token: a personal access token or OAuth token (secret).
        base_url: the API root; point it at the simulator for demos and tests.
        workspaces: workspace gids (or exact names) to sync, as a list or a comma-separated string;
            all visible workspaces when empty.
        requests_per_minute: client-side budget; 1,500 on paid domains, 150 on free ones.
        max_concurrency: requests in flight at once (Asana allows 50 GETs per token).
        lookback_seconds: how far before each cursor incremental reads start again.
        page_size: items per page, 1..100 (Asana's maximum is the sensible default).
        reconcile: ``always`` lists every task each run (catching deletions, moves, tag and
            follower changes and subtask-only changes, none of which bump ``modified_at``);
            ``never`` uses ``modified_since`` only; ``auto`` reconciles every run below 50,000
            tasks and once a day above.
        attachments: ``always`` reads each changed task's attachments (one request per task);
            ``stories`` only for tasks with an ``attachment_added`` story (half the requests of a
            first sync); ``auto`` starts like ``always`` and switches to ``stories`` once the server
            has shown that its stories announce every attachment; ``never``.
        warehouse: what the destination holds already (see ``SyncContext``); the pipeline passes it.
        http_transport: an ``httpx`` transport, for in-process tests against the simulator.
    """
    for name, value, low, high in (("page_size", page_size, 1, 100), ("max_concurrency", max_concurrency, 1, 50),
                                   ("requests_per_minute", requests_per_minute, 1, 10**9),
                                   ("lookback_seconds", lookback_seconds, 0, 10**9)):
        if not isinstance(value, int) or not low <= value <= high:
            raise InvalidOptionError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    client = AsanaClient(
        access_token,
        base_url=base_url,
        requests_per_minute=requests_per_minute,
        max_concurrency=max_concurrency,
        transport=http_transport,
        page_size=page_size,
    )
    ctx = SyncContext(client, workspaces=workspaces, lookback_seconds=lookback_seconds, reconcile=reconcile,
                      warehouse=warehouse, attachments=attachments)
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
        workspace_memberships(ctx),
        project_memberships(ctx),
        status_updates(ctx),
        project_statuses(ctx),
        project_briefs(ctx),
        project_templates(ctx),
        portfolios(ctx),
        goals(ctx),
        time_periods(ctx),
        time_tracking_entries(ctx),
        user_task_lists(ctx),
        webhooks(ctx),
        custom_field_settings(ctx),
    )


@dlt.resource(name="workspaces", write_disposition=MERGE, primary_key="gid", columns=columns("workspaces"))
def workspaces_resource(ctx: Any) -> Iterator[list[dict]]:
    yield [workspace_row(w) for w in ctx.workspaces()]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("users"))
def users(ctx: Any) -> Iterator[Any]:
    """Users per workspace from ``GET /users?workspace=``; ``workspace_users`` is replaced per
    workspace, so someone who left it is gone from it (their user row stays for history)."""
    links = []
    for workspace in ctx.workspaces():
        page, complete = ctx.user_listing(workspace["gid"])
        if page:
            yield [copy_row("users", u) for u in page]
        links.append(tombstone("workspace_gid", workspace["gid"], "user_gid"))
        links.extend({"workspace_gid": workspace["gid"], "user_gid": u["gid"]} for u in page)
        if not complete and ctx.warehouse is not None:
            # A cut listing says nothing of the users past the cut: they stay.
            links += kept_rows([r for r in ctx.warehouse.rows("workspace_users")
                                if r.get("workspace_gid") == workspace["gid"]], {u["gid"] for u in page}, "user_gid")
    yield dlt.mark.with_hints(links, dlt.mark.make_hints(
        **replace_hints("workspace_users", "workspace_gid", ("workspace_gid", "user_gid"))), create_table_variant=True)


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("teams"))
def teams(ctx: Any) -> Iterator[list[dict]]:
    yield [copy_row("teams", t) for t in ctx.teams()]


@dlt.resource(**replace_hints("team_memberships", "team_gid"))
def team_memberships(ctx: Any) -> Iterator[Any]:
    """Who is in which team, replaced per team so that someone who left is gone."""
    yield from _replaced(ctx, "team_memberships", "team_gid", [t["gid"] for t in ctx.teams()],
                         _lister(ctx, "team_memberships", "/teams/{gid}/team_memberships"))


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("projects"))
def projects(ctx: Any) -> Iterator[list[dict]]:
    """Projects; those the warehouse knows but Asana now answers 404 for are marked deleted."""
    listed = ctx.projects()
    yield [copy_row("projects", p) for p in listed]
    deleted, alive = ctx.deletions("projects")
    yield deleted_rows(deleted, ctx.run_started_at) + [copy_row("projects", p) for p in alive]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("sections"))
def sections(ctx: Any) -> Iterator[list[dict]]:
    listed: set[str] = set()
    rows = []
    for project_gid, project_sections in ctx.client.map(ctx.sections_of, [p["gid"] for p in ctx.projects()]):
        rows.extend(copy_row("sections", s, project_gid=project_gid) for s in project_sections)
        listed.update(s["gid"] for s in project_sections)
    yield rows
    deleted, alive = ctx.vanished("sections", listed, "/sections/{gid}", SECTION_FIELDS)
    yield deleted_rows(deleted, ctx.run_started_at) + [copy_row("sections", s) for s in alive]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("tags"))
def tags(ctx: Any) -> Iterator[list[dict]]:
    listed: set[str] = set()
    everything = True
    for workspace in ctx.workspaces():
        found, complete = ctx.listing("/tags", {"workspace": workspace["gid"], "opt_fields": TAG_FIELDS})
        everything &= complete
        listed.update(t["gid"] for t in found)
        if found:
            yield [copy_row("tags", t, workspace_gid=workspace["gid"]) for t in found]
    if not everything:
        return  # a truncated listing says nothing about which tags are gone
    deleted, alive = ctx.vanished("tags", listed, "/tags/{gid}", TAG_FIELDS)
    yield deleted_rows(deleted, ctx.run_started_at) + [copy_row("tags", t) for t in alive]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("custom_fields"))
def custom_fields(ctx: Any) -> Iterator[Any]:
    for workspace in ctx.workspaces():
        path = f"/workspaces/{workspace['gid']}/custom_fields"
        # Custom fields are a premium feature: a free workspace answers 402 and simply has none.
        page = ctx.optional_list(path, {"opt_fields": CUSTOM_FIELD_FIELDS})
        if page:
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
    ``{"project_cursors": {"<project gid>": "<max modified_at seen>"},
    "assignee_cursors": {"<workspace gid>:<user gid>": "<max modified_at seen>"},
    "event_syncs": {"<project gid>": "<events sync token>"}, "last_reconciled_at": "<time>"}``.
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


@dlt.transformer(**replace_hints("stories", "task_gid"))
def stories(items: Any, ctx: Any) -> Iterator[list[dict]]:
    """Stories of the tasks that changed in this run, replacing each such task's stories; and the
    attachments (metadata) of those with an ``attachment_added`` story."""
    if not isinstance(items, list):
        items = [items]
    # What earlier runs learned about this server's attachment stories (see ``attachments``).
    state = dlt.current.resource_state()
    ctx.remember_attachment_signal(state)
    # The tasks resource also yields bridge rows; only task rows (they carry parent_gid) lead to stories.
    task_gids = [row["gid"] for row in items if isinstance(row, dict) and "parent_gid" in row
                 and row.get("gid") in ctx.changed_gids and not row.get("is_deleted")]
    # One yield per batch: dlt re-validates table hints on every yield, which costs more than the
    # rows themselves when a yield holds one task's handful of stories.
    rows: list[dict] = []
    attachments: list[dict] = []
    for task_gid, task_stories, task_attachments in ctx.client.map(ctx.stories_and_attachments_of, task_gids):
        if task_stories is not None:
            rows.append(tombstone("task_gid", task_gid))
            rows.extend(story_row(s, task_gid) for s in task_stories)
        if task_attachments is not None:
            attachments.append(tombstone("task_gid", task_gid))
            attachments.extend(copy_row("attachments", a, task_gid=task_gid) for a in task_attachments)
        if len(rows) >= STORY_BATCH_ROWS:
            yield rows
            rows = []
    if rows:
        yield rows
    if attachments:
        yield dlt.mark.with_hints(attachments, dlt.mark.make_hints(**replace_hints("attachments", "task_gid")),
                                  create_table_variant=True)
    ctx.remember_attachment_signal(state)


# --- everything else the token can read ---------------------------------------------------------
# Each list below is re-read every run and replaced per parent (tombstone + delete-insert on the
# parent key), so whatever Asana no longer lists is gone from the warehouse too.


def _replaced(ctx: Any, table: str, parent_key: str, parents: list, fetch: Any,
              gone: Sequence[str] = ()) -> Iterator[Any]:
    """Fetch each parent's list concurrently; yield its rows after a tombstone that clears the old.
    Parents that are ``gone`` (deleted) only get the tombstone: their rows go with them."""
    current = set(parents)
    rows: list[dict] = [tombstone(parent_key, gid) for gid in gone if gid not in current]
    for parent_gid, items in ctx.client.map(fetch, parents):
        if items is None:
            continue
        rows.append(tombstone(parent_key, parent_gid))
        rows.extend(copy_row(table, item, **{parent_key: parent_gid}) for item in items)
        if len(rows) >= STORY_BATCH_ROWS:
            yield rows
            rows = []
    if rows:
        yield rows


def _lister(ctx: Any, table: str, path: str, **params: Any) -> Any:
    def fetch(parent_gid: str) -> tuple[str, Optional[list[dict]]]:
        query = {k: v.format(gid=parent_gid) for k, v in params.items()}
        return parent_gid, ctx.optional_list(path.format(gid=parent_gid), {**query, "opt_fields": opt_fields(table)})

    return fetch


def _workspace_gids(ctx: Any) -> list[str]:
    return [w["gid"] for w in ctx.workspaces()]


def _project_gids(ctx: Any) -> list[str]:
    return [p["gid"] for p in ctx.projects()]


@dlt.resource(**replace_hints("workspace_memberships", "workspace_gid"))
def workspace_memberships(ctx: Any) -> Iterator[Any]:
    yield from _replaced(ctx, "workspace_memberships", "workspace_gid", _workspace_gids(ctx),
                         lambda gid: (gid, ctx.workspace_memberships(gid)))


@dlt.resource(**replace_hints("project_memberships", "project_gid"))
def project_memberships(ctx: Any) -> Iterator[Any]:
    yield from _replaced(ctx, "project_memberships", "project_gid", _project_gids(ctx),
                         _lister(ctx, "project_memberships", "/projects/{gid}/project_memberships"),
                         gone=ctx.gone("projects"))


@dlt.resource(**replace_hints("project_statuses", "project_gid"))
def project_statuses(ctx: Any) -> Iterator[Any]:
    """Asana's legacy status objects (superseded by status updates, still readable)."""
    yield from _replaced(ctx, "project_statuses", "project_gid", _project_gids(ctx),
                         _lister(ctx, "project_statuses", "/projects/{gid}/project_statuses"),
                         gone=ctx.gone("projects"))


@dlt.resource(**replace_hints("status_updates", "parent_gid"))
def status_updates(ctx: Any) -> Iterator[Any]:
    parents = _project_gids(ctx) + [p["gid"] for p in ctx.portfolios()] + [g["gid"] for g in ctx.goals()]
    gone = ctx.gone("projects") + ctx.gone("portfolios") + ctx.gone("goals")
    yield from _replaced(ctx, "status_updates", "parent_gid", parents,
                         _lister(ctx, "status_updates", "/status_updates", parent="{gid}"), gone=gone)


@dlt.resource(**replace_hints("project_briefs", "project_gid"))
def project_briefs(ctx: Any) -> Iterator[Any]:
    """Each project's brief (at most one), replaced per project so a removed brief disappears."""
    projects = {p["gid"]: p for p in ctx.projects()}

    def fetch(project_gid: str) -> tuple[str, Optional[list[dict]]]:
        project = projects[project_gid]
        ref = project.get("project_brief")
        if not isinstance(ref, dict) or not ref.get("gid"):
            return project["gid"], [] if "project_brief" in project else None
        brief = ctx.optional_get(f"/project_briefs/{ref['gid']}", {"opt_fields": opt_fields("project_briefs")})
        return project["gid"], [brief] if brief else None

    yield from _replaced(ctx, "project_briefs", "project_gid", list(projects), fetch, gone=ctx.gone("projects"))


@dlt.resource(**replace_hints("project_templates", "workspace_gid"))
def project_templates(ctx: Any) -> Iterator[Any]:
    yield from _replaced(ctx, "project_templates", "workspace_gid", _workspace_gids(ctx),
                         _lister(ctx, "project_templates", "/project_templates", workspace="{gid}"))


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("portfolios"))
def portfolios(ctx: Any) -> Iterator[Any]:
    """Portfolios the token's user owns and those nested in them, with items and memberships."""
    listed = ctx.portfolios()
    yield [copy_row("portfolios", p) for p in listed]
    gids = [p["gid"] for p in listed]

    def items_of(portfolio_gid: str) -> tuple[str, Optional[list[dict]]]:
        return portfolio_gid, ctx.portfolio_items(portfolio_gid)

    items: list[dict] = []
    for portfolio_gid, portfolio_items in ctx.client.map(items_of, gids):
        if portfolio_items is None:
            continue
        items.append(tombstone("portfolio_gid", portfolio_gid, "item_gid"))
        items.extend({"portfolio_gid": portfolio_gid, "item_gid": i["gid"], "item_type": i.get("resource_type")}
                     for i in portfolio_items)
    items.extend(tombstone("portfolio_gid", gid, "item_gid") for gid in ctx.gone("portfolios")
                 if gid not in gids)
    if items:
        yield dlt.mark.with_hints(items, dlt.mark.make_hints(
            **replace_hints("portfolio_items", "portfolio_gid", ("portfolio_gid", "item_gid"))),
            create_table_variant=True)
    for rows in _replaced(ctx, "portfolio_memberships", "portfolio_gid", gids,
                          _lister(ctx, "portfolio_memberships", "/portfolios/{gid}/portfolio_memberships"),
                          gone=ctx.gone("portfolios")):
        yield dlt.mark.with_hints(rows, dlt.mark.make_hints(**replace_hints("portfolio_memberships", "portfolio_gid")),
                                  create_table_variant=True)
    deleted, alive = ctx.deletions("portfolios")
    yield deleted_rows(deleted, ctx.run_started_at) + [copy_row("portfolios", p) for p in alive]


@dlt.resource(**replace_hints("goals", "workspace_gid"))
def goals(ctx: Any) -> Iterator[Any]:
    """Goals per workspace, and what supports each (goal_relationships)."""
    by_workspace: dict[str, list[dict]] = {}
    for goal in ctx.goals():
        by_workspace.setdefault(goal["_workspace_gid"], []).append(goal)
    rows = []
    for workspace_gid in ctx.goal_workspaces:
        rows.append(tombstone("workspace_gid", workspace_gid))
        rows.extend(copy_row("goals", g, workspace_gid=workspace_gid) for g in by_workspace.get(workspace_gid, []))
    if rows:
        yield rows
    for rows in _replaced(ctx, "goal_relationships", "supported_goal_gid", [g["gid"] for g in ctx.goals()],
                          _lister(ctx, "goal_relationships", "/goal_relationships", supported_goal="{gid}"),
                          gone=ctx.gone("goals")):
        yield dlt.mark.with_hints(rows, dlt.mark.make_hints(
            **replace_hints("goal_relationships", "supported_goal_gid")), create_table_variant=True)


@dlt.resource(**replace_hints("time_periods", "workspace_gid"))
def time_periods(ctx: Any) -> Iterator[Any]:
    yield from _replaced(ctx, "time_periods", "workspace_gid", _workspace_gids(ctx),
                         _lister(ctx, "time_periods", "/time_periods", workspace="{gid}"))


@dlt.resource(**replace_hints("time_tracking_entries", "workspace_gid"))
def time_tracking_entries(ctx: Any) -> Iterator[Any]:
    """Entries per workspace, replaced per workspace. The listing lacks each entry's task and
    created_at: the warehouse has them for entries seen before, one GET per new entry adds them."""
    known = {r["gid"]: r for r in ctx.warehouse.rows("time_tracking_entries")} if ctx.warehouse else {}
    for workspace_gid in _workspace_gids(ctx):
        read = ctx.time_tracking_entries(workspace_gid)
        if read is None:
            continue
        entries, complete = read
        new = [e["gid"] for e in entries if not (known.get(e["gid"]) or {}).get("task_gid")]
        details = {gid: detail for gid, detail in ctx.client.map(ctx.time_tracking_detail, new)}
        rows = [tombstone("workspace_gid", workspace_gid)]
        for entry in entries:
            detail = details.get(entry["gid"], known.get(entry["gid"]))
            if detail is None:
                continue  # deleted between the listing and its detail
            row = copy_row("time_tracking_entries", entry, workspace_gid=workspace_gid)
            row["task_gid"] = row.get("task_gid") or detail.get("task_gid") or gid_of(detail.get("task"))
            row["created_at"] = row.get("created_at") or detail.get("created_at")
            rows.append(row)
        if not complete:
            rows += kept_rows([r for r in known.values() if r.get("workspace_gid") == workspace_gid],
                              {e["gid"] for e in entries})
        yield rows


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("user_task_lists"))
def user_task_lists(ctx: Any) -> Iterator[Any]:
    """Each user's My Tasks per workspace: from the workspace memberships when they carry it (no extra
    request), else one ``GET /users/{gid}/user_task_list`` per user."""
    rows, missing = [], []
    for workspace_gid in _workspace_gids(ctx):
        memberships = {gid_of(m.get("user")): m for m in ctx.workspace_memberships(workspace_gid) or []}
        for user_gid in ctx.workspace_user_gids(workspace_gid):
            found = (memberships.get(user_gid) or {}).get("user_task_list")
            if isinstance(found, dict) and found.get("gid"):
                rows.append(copy_row("user_task_lists", found, workspace_gid=workspace_gid, owner_gid=user_gid))
            else:
                missing.append((workspace_gid, user_gid))

    def fetch(pair: tuple[str, str]) -> Optional[dict]:
        workspace_gid, user_gid = pair
        found = ctx.optional_get(f"/users/{user_gid}/user_task_list",
                                 {"workspace": workspace_gid, "opt_fields": opt_fields("user_task_lists")})
        return copy_row("user_task_lists", found, workspace_gid=workspace_gid, owner_gid=user_gid) if found else None

    rows.extend(row for row in ctx.client.map(fetch, missing) if row)
    if rows:
        yield rows


@dlt.resource(**replace_hints("webhooks", "workspace_gid"))
def webhooks(ctx: Any) -> Iterator[Any]:
    yield from _replaced(ctx, "webhooks", "workspace_gid", _workspace_gids(ctx),
                         _lister(ctx, "webhooks", "/webhooks", workspace="{gid}"))


@dlt.resource(**replace_hints("custom_field_settings", "parent_gid"))
def custom_field_settings(ctx: Any) -> Iterator[Any]:
    """Custom fields attached to each project and portfolio: from the listings' own
    ``custom_field_settings`` when served (no extra request), else one request per parent."""
    rows: list[dict] = []
    fallback: dict[str, list[str]] = {"project": [], "portfolio": []}
    for kind, parents in (("project", ctx.projects()), ("portfolio", ctx.portfolios())):
        for parent in parents:
            settings = parent.get("custom_field_settings")
            if not isinstance(settings, list):
                fallback[kind].append(parent["gid"])
                continue
            rows.append(tombstone("parent_gid", parent["gid"]))
            rows.extend(copy_row("custom_field_settings", cfs, parent_gid=parent["gid"], parent_type=kind)
                        for cfs in settings if isinstance(cfs, dict) and cfs.get("gid"))
    for table in ("projects", "portfolios"):
        rows.extend(tombstone("parent_gid", gid) for gid in ctx.gone(table))
    if rows:
        yield rows
    for kind, gids in fallback.items():
        yield from _replaced(ctx, "custom_field_settings", "parent_gid", gids,
                             _lister(ctx, "custom_field_settings", f"/{kind}s/{{gid}}/custom_field_settings"))
