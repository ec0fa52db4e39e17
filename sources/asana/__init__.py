"""The ``asana`` dlt source: one resource per Asana endpoint family, loaded into ``asana_raw``.

Resources are thin: they turn what ``SyncContext`` reads into rows. Tasks are read per project
with ``modified_since`` (a cursor per project in dlt state); subtasks, which no project list
returns, are crawled from their parents; stories are read only for tasks that changed. Listings
that Asana truncates are split along the hierarchy (project -> section -> search windows), and
whatever still cannot be read is recorded in ``sync_gaps`` while the rest of the run goes on.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence, Union

import dlt
from dlt.common.typing import TSecretStrValue

from .client import AsanaClient
from .context import SyncContext
from .errors import AsanaError, UnknownWorkspaceError
from .helpers import copy_row, custom_field_rows, deleted_rows, gid_of, kept_rows, story_row, tombstone, workspace_row
from .options import SourceOptions
from .report import RunReport
from .scope import WORKSPACE_WIDE_RESOURCES
from .settings import (
    BRIDGES,
    CHILD_LISTINGS,
    CUSTOM_FIELD_FIELDS,
    DEFAULT_BASE_URL,
    DEFAULT_LOOKBACK_SECONDS,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_REQUESTS_PER_MINUTE,
    PAGE_SIZE,
    PARENT_LISTINGS,
    SECTION_FIELDS,
    TAG_FIELDS,
    TOMBSTONE,
    RECONCILE_EVERY_RUN_BELOW,
    RECONCILE_INTERVAL_HOURS,
    SEARCH_REQUESTS_PER_MINUTE,
    ParentListing,
    columns,
    opt_fields,
)

__all__ = ["asana_source", "AsanaClient", "AsanaError", "RunReport", "SourceOptions", "SyncContext",
           "UnknownWorkspaceError", "RESOURCE_DESCRIPTIONS"]

MERGE = "merge"
STORY_BATCH_ROWS = 5_000


def replace_hints(table: str, parent_key: str, primary_key: Any = "gid", with_columns: bool = True) -> dict:
    """Rows replaced per parent: each parent's rows are deleted, then its current ones inserted.

    ``with_columns=False`` for a resource that also fills other tables: dlt starts every table
    variant from the resource's own hints, so the resource's columns would land, always null, in
    each of its other tables. Such a resource yields its own rows through ``into`` instead."""
    hints = {
        "table_name": table,
        "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
        "primary_key": primary_key,
        "merge_key": parent_key,
        "columns": {**columns(table), TOMBSTONE: {"data_type": "bool", "hard_delete": True}},
    }
    if not with_columns:
        del hints["columns"]
    return hints


def merge_hints(table: str) -> dict:
    """Rows merged on ``gid``: the hints of a resource's own table when it also fills others."""
    return {"table_name": table, "write_disposition": MERGE, "primary_key": "gid", "columns": columns(table)}


def bridge_hints(table: str) -> dict:
    """A task's bridge rows (tags, followers, ...) are replaced whenever the task is re-read."""
    parent_key, child_key = BRIDGES[table]
    return replace_hints(table, parent_key, (parent_key, child_key))


def into(table: str, rows: list[dict], hints: Optional[dict] = None) -> Any:
    """Rows for another table than the resource's own (a dlt table variant); bridge hints by default."""
    return dlt.mark.with_hints(rows, dlt.mark.make_hints(**(hints or bridge_hints(table))), create_table_variant=True)


@dlt.source(name="asana", max_table_nesting=0)
def asana_source(
    access_token: Optional[TSecretStrValue] = None,
    base_url: str = DEFAULT_BASE_URL,
    workspaces: Optional[Union[str, Sequence[str]]] = None,
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    lookback_seconds: int = DEFAULT_LOOKBACK_SECONDS,
    page_size: int = PAGE_SIZE,
    reconcile: str = "auto",
    attachments: str = "auto",
    incremental: str = "auto",
    search_requests_per_minute: int = SEARCH_REQUESTS_PER_MINUTE,
    reconcile_below_tasks: int = RECONCILE_EVERY_RUN_BELOW,
    reconcile_interval_hours: float = RECONCILE_INTERVAL_HOURS,
    throttle_patience_seconds: int = 900,
    max_attempts: int = 8,
    teams: Optional[Union[str, Sequence[str]]] = None,
    exclude_teams: Optional[Union[str, Sequence[str]]] = None,
    context: Optional[SyncContext] = None,
    task_projects: Optional[list[str]] = None,
    final_step: bool = True,
) -> Any:
    """Every object the token can read, as normalized tables.

    Standalone (``pipeline.run(asana_source())``) the options come from dlt's configuration;
    asana-sync's pipeline resolves them once into ``SourceOptions``, builds the run's
    ``SyncContext`` and passes it as ``context`` to the source of each checkpoint step.

    Args:
        access_token: a personal access token or OAuth token (secret).
        base_url: the API root; point it at the simulator for demos and tests.
        workspaces: workspace gids (or exact names) to sync, as a list or a comma-separated string;
            all visible workspaces when empty.
        requests_per_minute: client-side budget; 1,500 on paid domains, 150 on free ones.
        max_concurrency: the most requests in flight at once (Asana allows 50 GETs per token); the
            client keeps as many as the rate limit needs at the latency it measures, and fewer where
            Asana shows a concurrency cap.
        lookback_seconds: how far before each cursor incremental reads start again.
        page_size: items per page, 1..100 (Asana's maximum is the sensible default).
        reconcile: ``always`` lists every task each run (catching deletions, moves, tag and
            follower changes and subtask-only changes, none of which bump ``modified_at``);
            ``never`` is incremental only; ``auto`` reconciles every run below
            ``reconcile_below_tasks`` known tasks (50,000) and every ``reconcile_interval_hours``
            (24) above.
        incremental: how a run that does not reconcile finds changed tasks. ``auto``: one task
            search per premium workspace (``modified_at.after``), so a run with nothing changed
            costs O(workspaces); per project (``modified_since`` and event streams) elsewhere.
            ``projects``: per project everywhere (deletions and moves show before the next
            reconciliation, at a few requests per project and run).
        search_requests_per_minute: the budget of task searches (Asana allows 60 a minute per token).
        reconcile_below_tasks: with ``reconcile`` = ``auto``, every run reconciles while the selected
            workspaces hold fewer tasks than this.
        reconcile_interval_hours: with ``reconcile`` = ``auto`` above ``reconcile_below_tasks``, the
            hours between reconciliations: how long a deleted or moved task may linger in the warehouse.
        attachments: ``always`` reads each changed task's attachments (one request per task);
            ``stories`` only for tasks with an ``attachment_added`` story (half the requests of a
            first sync); ``auto`` starts like ``always`` and switches to ``stories`` once the server
            has shown that its stories announce every attachment; ``never``.
        throttle_patience_seconds: how long Asana may answer 429 without one request succeeding
            before the run gives up (429s never use up a request's retries).
        max_attempts: how many times a request that fails (a 5xx answer, a dropped connection) is
            sent before it is recorded as a ``failed`` gap and the run goes on; the waits between
            attempts double from 0.5 s up to 60 s, so the default 8 spends about a minute.
        teams: team gids: only these teams' projects and everything in them, nothing
            workspace-wide (a ``team:GID`` partition; see ``scope.py``).
        exclude_teams: team gids: everything but these teams' projects (the workspace partition
            beside team partitions).
        context: the run's ``SyncContext`` (client, options, warehouse view, report, cached
            listings, task crawl); the options above are then not read.
        task_projects: the projects whose tasks this step reads (all when None); ``final_step``
            adds the tasks in no project, the subtasks of known parents and deletions.
    """
    ctx = context or SyncContext.connect(SourceOptions.of(
        access_token=access_token, base_url=base_url, workspaces=workspaces, requests_per_minute=requests_per_minute,
        max_concurrency=max_concurrency, lookback_seconds=lookback_seconds, page_size=page_size,
        reconcile=reconcile, attachments=attachments, incremental=incremental,
        search_requests_per_minute=search_requests_per_minute, reconcile_below_tasks=reconcile_below_tasks,
        reconcile_interval_hours=reconcile_interval_hours, throttle_patience_seconds=throttle_patience_seconds,
        max_attempts=max_attempts, teams=teams, exclude_teams=exclude_teams))
    task_resource = tasks(ctx, task_projects, final_step)
    resources = (
        workspaces_resource(ctx), users(ctx), teams_resource(ctx), projects(ctx), sections(ctx), tags(ctx),
        custom_fields(ctx), task_resource, task_resource | stories(ctx), workspace_memberships(ctx),
        project_briefs(ctx), portfolios(ctx), goals(ctx), time_tracking_entries(ctx), user_task_lists(ctx),
        custom_field_settings(ctx), *(make(ctx) for make in LISTING_RESOURCES.values()),
    )
    if ctx.scope.team_only:
        return tuple(r for r in resources if r.name not in WORKSPACE_WIDE_RESOURCES)
    return resources


# --- shared listings ----------------------------------------------------------------------------


@dlt.resource(name="workspaces", write_disposition=MERGE, primary_key="gid", columns=columns("workspaces"))
def workspaces_resource(ctx: SyncContext) -> Iterator[list[dict]]:
    """workspaces the token can see (filtered by --workspace)"""
    yield [workspace_row(w) for w in ctx.listings.workspaces()]
    # dlt reads the resources one after another; the listings they share start now, side by side.
    ctx.listings.prefetch()


@dlt.resource(write_disposition=MERGE, primary_key="gid")
def users(ctx: SyncContext) -> Iterator[Any]:
    """users per workspace (GET /users?workspace=), plus workspace_users

    ``workspace_users`` is replaced per workspace, so someone who left it is gone from it (their
    user row stays for history); a cut listing keeps the users past the cut."""
    links = []
    for workspace_gid in ctx.listings.workspace_gids():
        page, complete = ctx.listings.user_listing(workspace_gid)
        if page:
            yield into("users", [copy_row("users", u) for u in page], merge_hints("users"))
        links.append(tombstone("workspace_gid", workspace_gid, "user_gid"))
        links.extend({"workspace_gid": workspace_gid, "user_gid": u["gid"]} for u in page)
        if not complete and ctx.warehouse is not None:
            links += kept_rows([r for r in ctx.warehouse.rows("workspace_users") if r.get("workspace_gid") == workspace_gid],
                               {u["gid"] for u in page}, "user_gid")
    yield into("workspace_users", links, replace_hints("workspace_users", "workspace_gid", ("workspace_gid", "user_gid")))


@dlt.resource(name="teams", write_disposition=MERGE, primary_key="gid", columns=columns("teams"))
def teams_resource(ctx: SyncContext) -> Iterator[list[dict]]:
    """teams of organization workspaces"""
    yield [copy_row("teams", t) for t in ctx.listings.teams()]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("projects"))
def projects(ctx: SyncContext) -> Iterator[list[dict]]:
    """projects per team (organizations) or per workspace

    Those the warehouse knows but Asana now answers 404 for are marked deleted."""
    yield [copy_row("projects", p) for p in ctx.listings.projects()]
    deleted, alive = ctx.deletions.of("projects")
    yield deleted_rows(deleted, ctx.run_started_at) + [copy_row("projects", p) for p in alive]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("sections"))
def sections(ctx: SyncContext) -> Iterator[list[dict]]:
    """sections per project"""
    listed: set[str] = ctx.clock.carried("sections", set)
    rows = []
    refresh = refreshed_projects(ctx)
    parents = ctx.clock.take("sections", project_parents(ctx, refresh))
    for project_gid, found in ctx.client.map(ctx.listings.sections_of, parents):
        rows.extend(copy_row("sections", s, project_gid=project_gid) for s in found or [])
        listed.update(s["gid"] for s in found or [])
    yield rows
    if not ctx.clock.done("sections"):
        return  # the rest of the projects are read in the next step
    if refresh is not None and ctx.warehouse is not None:
        # Sections of projects not read this run are not gone.
        listed.update(r["gid"] for r in ctx.warehouse.live_rows("sections") if r.get("project_gid") not in refresh)
    if "sections" in ctx.report.incomplete:
        return  # a failed listing says nothing about which sections are gone
    deleted, alive = ctx.deletions.vanished("sections", listed, "/sections/{gid}", SECTION_FIELDS)
    yield deleted_rows(deleted, ctx.run_started_at) + [copy_row("sections", s) for s in alive]


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("tags"))
def tags(ctx: SyncContext) -> Iterator[list[dict]]:
    """tags per workspace"""
    listed: set[str] = set()
    everything = True
    for workspace_gid in ctx.listings.workspace_gids():
        found = ctx.listings.optional_list("/tags", {"workspace": workspace_gid, "opt_fields": TAG_FIELDS})
        everything &= found is not None
        listed.update(t["gid"] for t in found or [])
        if found:
            yield [copy_row("tags", t, workspace_gid=workspace_gid) for t in found]
    if not everything:
        return  # a cut or failed listing says nothing about which tags are gone
    deleted, alive = ctx.deletions.vanished("tags", listed, "/tags/{gid}", TAG_FIELDS)
    yield deleted_rows(deleted, ctx.run_started_at) + [copy_row("tags", t) for t in alive]


@dlt.resource(write_disposition=MERGE, primary_key="gid")
def custom_fields(ctx: SyncContext) -> Iterator[Any]:
    """custom fields per workspace, plus custom_field_enum_options"""
    for workspace_gid in ctx.listings.workspace_gids():
        # Custom fields are a premium feature: a free workspace answers 402 and simply has none.
        page = ctx.listings.optional_list(f"/workspaces/{workspace_gid}/custom_fields",
                                          {"opt_fields": CUSTOM_FIELD_FIELDS})
        if not page:
            continue
        rows, options = [], []
        for cf in page:
            row, cf_options = custom_field_rows(cf, workspace_gid)
            rows.append(row)
            options.extend(cf_options)
        yield into("custom_fields", rows, merge_hints("custom_fields"))
        if options:
            yield into("custom_field_enum_options", options, {
                "table_name": "custom_field_enum_options", "write_disposition": MERGE,
                "primary_key": ("custom_field_gid", "gid"), "columns": columns("custom_field_enum_options")})


# --- tasks and stories --------------------------------------------------------------------------


@dlt.resource(write_disposition=MERGE, primary_key="gid")
def tasks(ctx: SyncContext, projects: Optional[list[str]] = None, final: bool = True) -> Iterator[Any]:
    """tasks and subtasks changed since the last run, plus memberships, tags, followers, dependencies and custom field values

    State (``dlt.current.resource_state()``) is kept in the destination with the data it covers;
    see ``TaskCrawl.changed_tasks``."""
    for batch in ctx.crawl.changed_tasks(dlt.current.resource_state(), projects, final):
        for table, rows in batch.items():
            if rows:
                yield into(table, rows, merge_hints("tasks") if table == "tasks" else None)


@dlt.transformer(**replace_hints("stories", "task_gid", with_columns=False))
def stories(items: Any, ctx: SyncContext) -> Iterator[Any]:
    """comments and system stories of the tasks that changed, plus their attachments (metadata)

    Each such task's stories are replaced; a task whose stories could not be read keeps its old
    ones and is read again next run."""
    items = items if isinstance(items, list) else [items]
    state = dlt.current.resource_state()
    ctx.attachments.remember(state)
    # The tasks resource also yields bridge rows; only task rows (they carry parent_gid) lead to stories.
    task_gids = [row["gid"] for row in items if isinstance(row, dict) and "parent_gid" in row
                 and row.get("gid") in ctx.crawl.changed_gids and not row.get("is_deleted")]
    # One yield per batch: dlt re-validates table hints on every yield, which costs more than the
    # rows themselves when a yield holds one task's handful of stories.
    rows: list[dict] = []
    attachments: list[dict] = []
    for task_gid, task_stories, task_attachments in ctx.client.map(ctx.crawl.stories_and_attachments_of, task_gids):
        if task_stories is not None:
            rows.append(tombstone("task_gid", task_gid))
            rows.extend(story_row(s, task_gid) for s in task_stories)
        if task_attachments is not None:
            attachments.append(tombstone("task_gid", task_gid))
            attachments.extend(copy_row("attachments", a, task_gid=task_gid) for a in task_attachments)
        if len(rows) >= STORY_BATCH_ROWS:
            yield into("stories", rows, replace_hints("stories", "task_gid"))
            rows = []
    if rows:
        yield into("stories", rows, replace_hints("stories", "task_gid"))
    if attachments:
        yield into("attachments", attachments, replace_hints("attachments", "task_gid"))
    ctx.attachments.remember(state)


# --- everything else the token can read ---------------------------------------------------------
# Each list below is re-read every run and replaced per parent (tombstone + delete-insert on the
# parent key), so whatever Asana no longer lists is gone from the warehouse too. A parent whose
# list could not be read keeps its rows.


def replaced(ctx: SyncContext, table: str, parent_key: str, parents: list, fetch: Any,
             gone: Sequence[str] = (), part: str = "", bounded: bool = True) -> Iterator[list[dict]]:
    """Fetch each parent's list concurrently; yield its rows after a tombstone that clears the old.
    Parents that are ``gone`` (deleted) only get the tombstone: their rows go with them.

    ``bounded``: the parents are taken through the step clock (the resource is named ``table``), so
    a long list of them spreads over checkpoint steps."""
    current = set(parents)
    rows: list[dict] = [tombstone(parent_key, gid) for gid in gone if gid not in current] \
        if not bounded or ctx.clock.fresh(table, part) else []
    for parent_gid, items in ctx.client.map(fetch, ctx.clock.take(table, parents, part) if bounded else parents):
        if items is None:
            continue
        rows.append(tombstone(parent_key, parent_gid))
        rows.extend(copy_row(table, item, **{parent_key: parent_gid}) for item in items)
        if len(rows) >= STORY_BATCH_ROWS:
            yield rows
            rows = []
    if rows:
        yield rows


def parents_of(ctx: SyncContext, kind: str) -> list[str]:
    listings = ctx.listings
    if kind == "projects":
        return project_parents(ctx, refreshed_projects(ctx))
    found = {"workspaces": listings.workspaces, "teams": listings.teams,
             "portfolios": listings.portfolios, "goals": listings.goals}[kind]()
    return [obj["gid"] for obj in found]


def refreshed_projects(ctx: SyncContext) -> Optional[set]:
    """The projects whose own lists this run reads (None: all): on a run that finds changed tasks
    through search, the new, modified and touched ones. Decided with the tasks resource's state."""
    return ctx.projects_to_refresh(dlt.current.source_state().get("resources", {}).get("tasks", {}))


def project_parents(ctx: SyncContext, refresh: Optional[set]) -> list[str]:
    return [gid for gid in ctx.listings.project_gids() if refresh is None or gid in refresh]


def listing_rows(ctx: SyncContext, table: str, spec: ParentListing, bounded: bool = True) -> Iterator[list[dict]]:
    """The rows of a ``ParentListing`` table: every parent's list, replacing the parent's rows."""
    def fetch(parent_gid: str) -> tuple[str, Optional[list[dict]]]:
        query = {k: v.format(gid=parent_gid) for k, v in spec.params}
        return parent_gid, ctx.listings.optional_list(spec.path.format(gid=parent_gid),
                                                      {**query, "opt_fields": opt_fields(table)})

    parents = [gid for kind in spec.parents for gid in parents_of(ctx, kind)]
    gone = [gid for kind in spec.parents if kind in ("projects", "portfolios", "goals")
            for gid in ctx.deletions.gone(kind)]
    yield from replaced(ctx, table, spec.parent_key, parents, fetch, gone, bounded=bounded)


def _listing_resource(table: str, spec: ParentListing) -> Any:
    def read(ctx: SyncContext) -> Iterator[list[dict]]:
        yield from listing_rows(ctx, table, spec)

    read.__doc__ = spec.description
    read.__name__ = table
    return dlt.resource(read, **replace_hints(table, spec.parent_key))


# Generated like the hubspot source's object resources: one per row of the table in settings.
LISTING_RESOURCES = {table: _listing_resource(table, spec) for table, spec in PARENT_LISTINGS.items()}


def _child_rows(ctx: SyncContext, table: str) -> Iterator[Any]:
    spec = CHILD_LISTINGS[table]
    # Read whole with their parents' resource (portfolios, goals: a few dozen lists).
    for rows in listing_rows(ctx, table, spec, bounded=False):
        yield into(table, rows, replace_hints(table, spec.parent_key))


@dlt.resource(**replace_hints("workspace_memberships", "workspace_gid"))
def workspace_memberships(ctx: SyncContext) -> Iterator[Any]:
    """users' memberships of each workspace"""
    yield from replaced(ctx, "workspace_memberships", "workspace_gid", ctx.listings.workspace_gids(),
                        lambda gid: (gid, ctx.listings.workspace_memberships(gid)))


@dlt.resource(**replace_hints("project_briefs", "project_gid"))
def project_briefs(ctx: SyncContext) -> Iterator[Any]:
    """project briefs (at most one per project, replaced per project so a removed brief disappears)"""
    refresh = refreshed_projects(ctx)
    projects = {p["gid"]: p for p in ctx.listings.projects() if refresh is None or p["gid"] in refresh}

    def fetch(project_gid: str) -> tuple[str, Optional[list[dict]]]:
        project = projects[project_gid]
        ref = project.get("project_brief")
        if not isinstance(ref, dict) or not ref.get("gid"):
            return project_gid, [] if "project_brief" in project else None
        brief = ctx.listings.optional_get(f"/project_briefs/{ref['gid']}", {"opt_fields": opt_fields("project_briefs")})
        return project_gid, [brief] if brief else None

    yield from replaced(ctx, "project_briefs", "project_gid", list(projects), fetch, gone=ctx.deletions.gone("projects"))


@dlt.resource(write_disposition=MERGE, primary_key="gid")
def portfolios(ctx: SyncContext) -> Iterator[Any]:
    """portfolios of each organization (and nested ones), plus portfolio_items and memberships"""
    listed = ctx.listings.portfolios()
    yield into("portfolios", [copy_row("portfolios", p) for p in listed], merge_hints("portfolios"))
    gids = [p["gid"] for p in listed]
    items: list[dict] = []
    for portfolio_gid in gids:
        found = ctx.listings.portfolio_items(portfolio_gid)  # read already while listing nested portfolios
        if found is not None:
            items.append(tombstone("portfolio_gid", portfolio_gid, "item_gid"))
            items.extend({"portfolio_gid": portfolio_gid, "item_gid": i["gid"], "item_type": i.get("resource_type")}
                         for i in found)
    items.extend(tombstone("portfolio_gid", gid, "item_gid") for gid in ctx.deletions.gone("portfolios")
                 if gid not in gids)
    if items:
        yield into("portfolio_items", items,
                   replace_hints("portfolio_items", "portfolio_gid", ("portfolio_gid", "item_gid")))
    yield from _child_rows(ctx, "portfolio_memberships")
    deleted, alive = ctx.deletions.of("portfolios")
    yield into("portfolios", deleted_rows(deleted, ctx.run_started_at) + [copy_row("portfolios", p) for p in alive],
               merge_hints("portfolios"))


@dlt.resource(**replace_hints("goals", "workspace_gid", with_columns=False))
def goals(ctx: SyncContext) -> Iterator[Any]:
    """goals per workspace, plus goal_relationships"""
    by_workspace: dict[str, list[dict]] = {}
    for goal in ctx.listings.goals():
        by_workspace.setdefault(goal["_workspace_gid"], []).append(goal)
    rows = []
    for workspace_gid in ctx.listings.goal_workspaces:
        rows.append(tombstone("workspace_gid", workspace_gid))
        rows.extend(copy_row("goals", g, workspace_gid=workspace_gid) for g in by_workspace.get(workspace_gid, []))
    if rows:
        yield into("goals", rows, replace_hints("goals", "workspace_gid"))
    yield from _child_rows(ctx, "goal_relationships")


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns={
    **columns("time_tracking_entries"), "workspace_gid": {"merge_key": False},
    TOMBSTONE: {"data_type": "bool", "hard_delete": True}})
def time_tracking_entries(ctx: SyncContext) -> Iterator[Any]:
    """time tracking entries per workspace, in entered_on windows

    Merged on gid; entries a complete listing of their workspace no longer returns are deleted by
    gid. (Replacing a workspace's rows in one delete-insert would make the merge join every old
    entry with every new one: 350 MB in DuckDB at 2,000 entries, gigabytes at 20,000.) The listing
    lacks each entry's task and created_at: the warehouse has them for entries seen before, one GET
    per new entry adds them. The ``entered_on`` windows a workspace was read in are kept in the
    resource state (``plans``), so the next run reads each entry once instead of re-reading the
    pages before every cut."""
    known = {r["gid"]: r for r in ctx.warehouse.rows("time_tracking_entries")} if ctx.warehouse else {}
    plans = dlt.current.resource_state().setdefault("plans", {})
    for workspace_gid in ctx.listings.workspace_gids():
        # Read once per run: the entries' details may take several checkpoint steps.
        read = ctx.listings.once(("time tracking", workspace_gid), lambda w=workspace_gid: (
            ctx.listings.time_tracking_entries(w, plans.get(w))))
        if read is None:
            continue
        entries, complete, plan = read
        fresh = ctx.clock.fresh("time_tracking_entries", workspace_gid)
        finished_before = ctx.clock.done("time_tracking_entries", workspace_gid)
        if plan is not None and fresh:
            plans[workspace_gid] = plan
        new = [e["gid"] for e in entries if not (known.get(e["gid"]) or {}).get("task_gid")]
        details = dict(ctx.client.map(ctx.listings.time_tracking_detail,
                                      ctx.clock.take("time_tracking_entries", new, workspace_gid)))
        rows = []
        for entry in entries:
            # Entries seen before go with the first step, new ones with the step that read their detail.
            detail = details[entry["gid"]] if entry["gid"] in details else known.get(entry["gid"]) if fresh else None
            if detail is None:
                continue  # deleted between the listing and its detail, its detail failed, or not this step's
            row = copy_row("time_tracking_entries", entry, workspace_gid=workspace_gid)
            row["task_gid"] = detail.get("task_gid") or gid_of(detail.get("task"))
            row["created_at"] = detail.get("created_at")
            rows.append(row)
        if complete and not finished_before and ctx.clock.done("time_tracking_entries", workspace_gid):
            # What could not be read completely keeps what the warehouse had.
            listed = {e["gid"] for e in entries}
            rows += [{"gid": gid, "workspace_gid": workspace_gid, TOMBSTONE: True} for gid, row in known.items()
                     if row.get("workspace_gid") == workspace_gid and gid not in listed and not row.get(TOMBSTONE)]
        if rows:
            yield rows


@dlt.resource(write_disposition=MERGE, primary_key="gid", columns=columns("user_task_lists"))
def user_task_lists(ctx: SyncContext) -> Iterator[Any]:
    """each user's My Tasks list per workspace

    From the workspace memberships when they carry it (no extra request), else one
    ``GET /users/{gid}/user_task_list`` per user the warehouse has none for: a user's My Tasks list
    never changes owner or workspace, so it is read once, for new users."""
    known = {(r.get("workspace_gid"), r.get("owner_gid")) for r in ctx.warehouse.rows("user_task_lists")} \
        if ctx.warehouse is not None else set()
    rows, missing = [], []
    for workspace_gid in ctx.listings.workspace_gids():
        memberships = {gid_of(m.get("user")): m for m in ctx.listings.workspace_memberships(workspace_gid) or []}
        for user in ctx.listings.users(workspace_gid):
            found = (memberships.get(user["gid"]) or {}).get("user_task_list")
            if isinstance(found, dict) and found.get("gid"):
                rows.append(copy_row("user_task_lists", found, workspace_gid=workspace_gid, owner_gid=user["gid"]))
            elif (workspace_gid, user["gid"]) not in known:
                missing.append((workspace_gid, user["gid"]))

    def fetch(pair: tuple[str, str]) -> Optional[dict]:
        workspace_gid, user_gid = pair
        found = ctx.listings.optional_get(f"/users/{user_gid}/user_task_list",
                                          {"workspace": workspace_gid, "opt_fields": opt_fields("user_task_lists")})
        return copy_row("user_task_lists", found, workspace_gid=workspace_gid, owner_gid=user_gid) if found else None

    if not ctx.clock.fresh("user_task_lists"):
        rows = []  # the memberships' lists went with the run's first step
    rows.extend(row for row in ctx.client.map(fetch, ctx.clock.take("user_task_lists", missing)) if row)
    if rows:
        yield rows


@dlt.resource(**replace_hints("custom_field_settings", "parent_gid"))
def custom_field_settings(ctx: SyncContext) -> Iterator[Any]:
    """custom fields attached to each project and portfolio

    From the listings' own ``custom_field_settings`` when served (no extra request), else one
    request per parent."""
    rows: list[dict] = []
    fallback: dict[str, list[str]] = {"project": [], "portfolio": []}
    for kind, parents in (("project", ctx.listings.projects()), ("portfolio", ctx.listings.portfolios())):
        for parent in parents:
            settings = parent.get("custom_field_settings")
            if not isinstance(settings, list):
                fallback[kind].append(parent["gid"])
                continue
            rows.append(tombstone("parent_gid", parent["gid"]))
            rows.extend(copy_row("custom_field_settings", cfs, parent_gid=parent["gid"], parent_type=kind)
                        for cfs in settings if isinstance(cfs, dict) and cfs.get("gid"))
    rows.extend(tombstone("parent_gid", gid) for table in ("projects", "portfolios") for gid in ctx.deletions.gone(table))
    if rows and all(ctx.clock.fresh("custom_field_settings", kind) for kind in fallback):
        yield rows
    for kind, gids in fallback.items():
        spec = ParentListing(f"/{kind}s/{{gid}}/custom_field_settings", (), "parent_gid", "")

        def fetch(gid: str, spec: ParentListing = spec) -> tuple[str, Optional[list[dict]]]:
            return gid, ctx.listings.optional_list(spec.path.format(gid=gid),
                                                   {"opt_fields": opt_fields("custom_field_settings")})

        yield from replaced(ctx, "custom_field_settings", "parent_gid", gids, fetch, part=kind)


def _description(resource: Any) -> str:
    return (resource.__doc__ or "").strip().splitlines()[0] if resource.__doc__ else ""


# What ``asana-sync resources`` prints: each resource's own first docstring line or listing description.
RESOURCE_DESCRIPTIONS = {
    **{name: _description(fn) for name, fn in (
        ("workspaces", workspaces_resource), ("users", users), ("teams", teams_resource), ("projects", projects),
        ("sections", sections), ("tags", tags), ("custom_fields", custom_fields), ("tasks", tasks),
        ("stories", stories), ("workspace_memberships", workspace_memberships), ("project_briefs", project_briefs),
        ("portfolios", portfolios), ("goals", goals), ("time_tracking_entries", time_tracking_entries),
        ("user_task_lists", user_task_lists), ("custom_field_settings", custom_field_settings))},
    **{name: spec.description for name, spec in PARENT_LISTINGS.items()},
}
