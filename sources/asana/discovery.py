"""Change discovery: how a run finds the tasks that changed since the last one. The crawl
(``tasks.TaskCrawl``) asks, then reads what it was pointed at; nothing here makes rows.

A reconciling run lists every task (cheap: the same pages ``modified_since`` would need on a busy
day), compares each task's fingerprint with the warehouse, re-reads the subtasks of every known
parent, and confirms vanished tasks with a GET (404 = deleted). Other runs find what changed in
one of two ways, per workspace:

* ``search`` (premium workspaces, ``incremental=auto``): one task search per workspace,
  ``modified_at.after`` the workspace's cursor minus a look-back, in ``created_at`` windows. It
  returns changed subtasks and tasks in no project too, so a run with nothing changed costs one
  request per workspace. Deletions and moves (which bump no ``modified_at``) wait for the next
  reconciliation.
* ``projects`` (free workspaces, or ``incremental=projects``): each project's tasks modified since
  its cursor, the tasks in no project through each assignee, and the tasks the project event
  streams name (deletions, moves).

Each part keeps its own keys of the tasks resource's dlt state (committed with the rows they cover):

    ReconcilePlan     whether this run reconciles        last_reconciled_at, first_sync_finished
    WorkspaceSearch   the search path                    search_cursors
    ProjectStreams    the project event streams          event_syncs
    ListingCursors    where each task listing starts     project_cursors, assignee_cursors
    ChangeDiscovery   the parts, for the crawl; which projects' own lists a run reads: project_modified_at
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

from .errors import AsanaError
from .events import EventStreams
from .helpers import cursor_with_lookback, gid_of, max_ts, parse_ts, task_rows
from .settings import RECONCILE_EVERY_RUN_BELOW, RECONCILE_INTERVAL_HOURS, SEARCH_INDEX_LAG_SECONDS
from .task_listings import TaskListings, TaskSearch


def should_reconcile(mode: str, known_tasks: int, last_reconciled_at: Optional[str],
                     now: Optional[datetime] = None, below_tasks: int = RECONCILE_EVERY_RUN_BELOW,
                     interval_hours: float = RECONCILE_INTERVAL_HOURS) -> bool:
    """``always``/``never`` as said; ``auto``: every run below ``below_tasks`` known tasks, else
    once ``interval_hours`` have passed since the last reconciliation. An empty warehouse is
    always reconciled (there is nothing to compare with)."""
    if mode == "always" or not known_tasks:
        return True
    if mode == "never":
        return False
    if known_tasks < below_tasks:
        return True
    due = next_reconciliation_due(last_reconciled_at, interval_hours)
    return due is None or (now or datetime.now(timezone.utc)) >= due


def next_reconciliation_due(last_reconciled_at: Optional[str], interval_hours: float) -> Optional[datetime]:
    last = parse_ts(last_reconciled_at)
    return last + timedelta(hours=interval_hours) if last else None


def resuming_first_sync(state: dict) -> bool:
    """A run before this one loaded some checkpoint steps of the first sync, which has not finished:
    no run has reconciled yet, and no resumed run has finished it either."""
    return (bool(state.get("project_cursors")) and not state.get("last_reconciled_at")
            and not state.get("first_sync_finished"))


class ReconcilePlan:
    """Whether this run lists every task, decided once per run from the state it started with::

        {"last_reconciled_at": "2026-11-30T08:00:00.000Z",  # start of the last complete reconciliation
         "first_sync_finished": true}                       # a first sync resumed by later runs was completed

    ``ctx`` is the run's ``SyncContext`` (its ``reconcile*`` options, the warehouse's tasks).
    """

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self._reconciling: Optional[bool] = None
        self._lock = threading.Lock()

    def decide(self, state: dict) -> None:
        """Decide, once per run, whether this run reconciles. Also asked before the task steps, by
        the listings of per-project objects (``ChangeDiscovery.projects_to_refresh``), with the
        tasks' state."""
        with self._lock:
            if self._reconciling is None:
                self._reconciling = self._reconciles(state)

    @property
    def reconciling(self) -> bool:
        return bool(self._reconciling)

    def _reconciles(self, state: dict) -> bool:
        if resuming_first_sync(state) and self.ctx.reconcile != "always":
            # Projects with a cursor were read by a step that was loaded: only what changed since is
            # read again, projects without one in full. The next run reconciles.
            return False
        return should_reconcile(self.ctx.reconcile, len(self.ctx.warehouse_fingerprints),
                                state.get("last_reconciled_at"), below_tasks=self.ctx.reconcile_below_tasks,
                                interval_hours=self.ctx.reconcile_interval_hours)

    def reconciled(self, state: dict) -> None:
        """Every task was listed and what vanished probed: the interval starts again."""
        state["last_reconciled_at"] = self.ctx.report.run_started_at

    def caught_up(self, state: dict) -> None:
        """An incremental run read everything it was told to."""
        if resuming_first_sync(state):
            # The resumed first sync is complete: from the next run on, reconcile as usual.
            state["first_sync_finished"] = True


class WorkspaceSearch:
    """The search path: the workspaces whose changed tasks this run finds with one task search each
    (``incremental=auto``, runs that do not reconcile), from each workspace's cursor::

        {"search_cursors": {"<workspace gid>": "2026-11-30T08:00:00.000Z"}}  # start of the last complete run
    """

    def __init__(self, ctx: Any, search: TaskSearch, plan: ReconcilePlan) -> None:
        self.ctx = ctx
        self.listings = ctx.listings
        self.search = search
        self.plan = plan

    def found(self, state: dict) -> dict[str, list[dict]]:
        """``{workspace gid: tasks modified since its search cursor}`` for the workspaces whose
        changes this run finds through search; other workspaces are read project by project.

        Empty on reconciling runs and with ``incremental=projects``. A workspace without a cursor
        yet (the run after an upgrade), without premium (402) or whose search failed is read
        project by project this run: more requests, nothing missed."""
        self.plan.decide(state)
        return self.listings.once("task search", lambda: self._search_workspaces(state.get("search_cursors") or {}))

    def _search_workspaces(self, cursors: dict) -> dict[str, list[dict]]:
        if self.plan.reconciling or self.ctx.incremental == "projects":
            return {}
        lookback = max(self.ctx.lookback_seconds, SEARCH_INDEX_LAG_SECONDS)
        found: dict[str, list[dict]] = {}
        for workspace_gid in self.listings.workspace_gids():
            since = cursor_with_lookback(cursors.get(workspace_gid), lookback)
            if since is None:
                continue
            path = f"/workspaces/{workspace_gid}/tasks/search"
            try:
                found[workspace_gid] = self._covered(self.search.tasks(workspace_gid, {}, since))
            except AsanaError as exc:  # 402 (no premium), a failure: its projects are listed instead
                self.ctx.report.note_unavailable(path, exc)
        return found

    def _covered(self, tasks: list[dict]) -> list[dict]:
        """Found tasks this run covers: beside team partitions, those in one of its own projects,
        in no project, or subtasks (a subtask is in no project; reading it twice is harmless)."""
        if not self.ctx.scope.limited:
            return tasks
        listed = set(self.listings.project_gids())
        return [t for t in tasks if not t.get("memberships") or any(
            gid_of(m.get("project")) in listed for m in t["memberships"] if isinstance(m, dict))]

    def answering(self) -> set[str]:
        """Workspaces where search answers (one ``limit=1`` search each, once per run): asked on
        reconciling runs, to start event streams only where later runs will need them."""
        def probe() -> set[str]:
            if self.ctx.incremental == "projects":
                return set()
            return {workspace_gid for workspace_gid in self.listings.workspace_gids()
                    if self.search.answers(workspace_gid, self.ctx.report.run_started_at)}
        return self.listings.once("search probe", probe)

    def unsearched_projects(self, state: dict, project_gids: list[str]) -> list[str]:
        """The projects whose tasks this run lists: all but those of workspaces searched instead."""
        searched = self.found(state)
        if not searched:
            return project_gids
        return [p for p in project_gids if self.listings.workspace_of_project(p) not in searched]

    def advance(self, state: dict) -> None:
        """After the run's last step: where the next searches start."""
        if "tasks" not in self.ctx.report.incomplete and self.ctx.incremental != "projects":
            # Everything modified before this run started was read: the next search starts here
            # (minus the look-back that covers the search index's lag).
            cursors = state.setdefault("search_cursors", {})
            cursors.update({w: self.ctx.report.run_started_at for w in self.listings.workspace_gids()})


class ProjectStreams:
    """The projects path's event streams (``events.EventStreams``), which name the tasks changed in
    ways ``modified_since`` cannot show (deletions, moves); one sync token per project::

        {"event_syncs": {"<project gid>": "<sync token>"}}

    Kept only while some runs are incremental, and only where search will not find the changes:
    started by reconciling runs, read at the start of the others. ``list_project(gid, since)``
    lists a project's tasks again when its stream expired (events were lost).
    """

    def __init__(self, ctx: Any, plan: ReconcilePlan, search: WorkspaceSearch,
                 list_project: Callable[[str, Optional[str]], list[dict]]) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.listings = ctx.listings
        self.plan = plan
        self.search = search
        self.events = EventStreams(ctx.client, ctx.report, list_project, self._known_project_tasks)

    def needed(self, known_tasks: Optional[int] = None) -> bool:
        """Whether some runs are incremental (then project streams show deletions and moves), for
        ``known_tasks`` (by default, what the warehouse held when the run started)."""
        if known_tasks is None:
            known_tasks = len(self.ctx.warehouse_fingerprints)
        return self.ctx.reconcile == "never" or (self.ctx.reconcile == "auto"
                                                 and known_tasks >= self.ctx.reconcile_below_tasks)

    def read(self, state: dict) -> set[str]:
        """The tasks the streams named since the last run; a reconciling run starts them afresh."""
        event_syncs = state.setdefault("event_syncs", {})
        touched: set[str] = set()
        if not self.needed() and not event_syncs:
            return touched  # reconciling every run: the listings show every change
        if self.plan.reconciling:
            event_syncs.clear()
            if self.needed():
                self._start(event_syncs)
            return touched
        searched = self.search.found(state)
        for project_gid in [p for p in event_syncs if self.listings.workspace_of_project(p) in searched]:
            del event_syncs[project_gid]  # this run and the next ones search that workspace instead
        projects = self.search.unsearched_projects(state, self.listings.project_gids())
        for project_gid, token, gids in self.client.map(lambda p: self.events.read(p, event_syncs.get(p)), projects):
            if token:
                event_syncs[project_gid] = token
            touched |= gids
        return touched

    def start_if_now_needed(self, state: dict, tasks_seen: int) -> None:
        """After a reconciliation that found ``tasks_seen`` tasks.

        A first sync learns the organization's size only by listing it. Above
        ``reconcile_below_tasks`` the next runs do not reconcile: their streams start now, or the
        deletions and moves before the second run would wait a day."""
        if not self.needed() and self.needed(tasks_seen):
            self._start(state.setdefault("event_syncs", {}))

    def take_relisted(self) -> list[dict]:
        """The tasks of projects listed again because their stream had expired, once."""
        relisted, self.events.relisted = self.events.relisted, []
        return relisted

    def _start(self, event_syncs: dict) -> None:
        # Workspaces that search finds changes in need no streams (one request per project).
        projects = [p for p in self.listings.project_gids()
                    if self.listings.workspace_of_project(p) not in self.search.answering()]
        for project_gid, token in self.client.map(self.events.start, projects):
            if token:
                event_syncs[project_gid] = token

    def _known_project_tasks(self, project_gid: str) -> set[str]:
        return self.ctx.warehouse.project_task_gids(project_gid) if self.ctx.warehouse is not None else set()


class ListingCursors:
    """Where each incremental listing of tasks starts again: the latest ``modified_at`` it returned,
    minus the look-back. A reconciling run lists everything, and still moves them::

        {"project_cursors": {"<project gid>": "2026-11-30T08:00:00.000Z"},
         "assignee_cursors": {"<workspace gid>:<user gid>": "2026-11-30T08:00:00.000Z"}}

    One ``ListingCursors`` holds one of those maps (``cursors``), changed in place.
    """

    def __init__(self, cursors: dict, lookback_seconds: int, reconciling: bool) -> None:
        self.cursors = cursors
        self.lookback_seconds = lookback_seconds
        self.reconciling = reconciling

    def since(self, key: str) -> Optional[str]:
        return None if self.reconciling else cursor_with_lookback(self.cursors.get(key), self.lookback_seconds)

    def advance(self, key: str, tasks: list[dict]) -> None:
        for task in tasks:
            self.cursors[key] = max_ts(self.cursors.get(key), task.get("modified_at"))


class ChangeDiscovery:
    """What the crawl asks: whether this run reconciles, what search found, which projects and
    assignees it lists and from which cursor, which tasks the event streams named; after the last
    step, what the next run starts from. Also which projects' own lists (sections, memberships,
    statuses, briefs) a run reads::

        {"project_modified_at": {"<project gid>": "<its modified_at when its lists were last all read>"}}

    ``ctx`` is the run's ``SyncContext``; ``lists`` reads listings of tasks (a project's, again,
    when its stream expired) and holds the run's ``TaskSearch``.
    """

    def __init__(self, ctx: Any, lists: TaskListings) -> None:
        self.ctx = ctx
        self.listings = ctx.listings
        self.plan = ReconcilePlan(ctx)
        self.search = WorkspaceSearch(ctx, lists.search, self.plan)
        self.streams = ProjectStreams(ctx, self.plan, self.search, lists.project_tasks)

    @property
    def reconciling(self) -> bool:
        return self.plan.reconciling

    def begin(self, state: dict) -> set[str]:
        """The first task step of a run: decide whether it reconciles, and read the event streams
        (first, so that whatever changes while this run lists tasks is in the next run's streams).
        The tasks the streams named."""
        self.plan.decide(state)
        touched = self.streams.read(state)
        self.ctx.report.task_discovery = self.describe(state)
        return touched

    def describe(self, state: dict) -> str:
        """``reconcile``, or which incremental paths this run takes: ``search``, ``projects`` or both."""
        if self.plan.reconciling:
            return "reconcile"
        searched = self.search.found(state)
        listed = [w for w in self.listings.workspace_gids() if w not in searched]
        return "+".join(name for name, used in (("search", bool(searched)), ("projects", bool(listed))) if used) \
            or "projects"

    def searched(self, state: dict) -> dict[str, list[dict]]:
        """``WorkspaceSearch.found``: the changed tasks of searched workspaces."""
        return self.search.found(state)

    def take_relisted(self) -> list[dict]:
        return self.streams.take_relisted()

    def listed_projects(self, state: dict, project_gids: list[str]) -> list[str]:
        return self.search.unsearched_projects(state, project_gids)

    def listed_assignees(self, state: dict) -> list[tuple[str, str]]:
        """``(workspace gid, user gid)`` of every assignee list read for tasks in no project."""
        searched = self.search.found(state)
        # Tasks in no project belong to the workspace's partition, not to a team's.
        return [] if self.ctx.scope.team_only else \
            [(w, u) for w, u in self.listings.workspace_users() if w not in searched]

    def project_cursors(self, state: dict) -> ListingCursors:
        return ListingCursors(state.setdefault("project_cursors", {}), self.ctx.lookback_seconds, self.reconciling)

    def assignee_cursors(self, state: dict) -> ListingCursors:
        return ListingCursors(state.setdefault("assignee_cursors", {}), self.ctx.lookback_seconds, self.reconciling)

    def projects_to_refresh(self, state: dict) -> Optional[set[str]]:
        """The projects whose own lists (sections, memberships, statuses, briefs) this run reads:
        None for all. On a run that searches a workspace, only its projects that are new, whose
        ``modified_at`` moved since the last run without failures, or that hold a task that
        changed (differs from the warehouse); the next reconciliation reads the rest."""
        searched = self.search.found(state)
        if not searched:
            return None
        seen = state.get("project_modified_at") or {}
        # Tasks found again only through the look-back are unchanged: their projects need no re-read.
        known = self.ctx.warehouse_fingerprints
        touched = {gid_of(m.get("project")) for tasks in searched.values() for t in tasks
                   if known.get(t["gid"]) != task_rows(t)["tasks"][0]["sync_fingerprint"]
                   for m in t.get("memberships") or [] if isinstance(m, dict)}
        return {p["gid"] for p in self.listings.projects()
                if self.listings.workspace_of_project(p["gid"]) not in searched or p["gid"] in touched
                or p["gid"] not in seen or seen[p["gid"]] != p.get("modified_at")}

    def finish(self, state: dict, reconciled: bool, tasks_seen: int) -> None:
        """After the run's last step read all it was pointed at (``reconciled``: every task was
        listed and what vanished probed; ``tasks_seen`` tasks were read): what the next run starts from."""
        if reconciled:
            self.plan.reconciled(state)
            self.streams.start_if_now_needed(state, tasks_seen)
        elif not self.plan.reconciling:
            self.plan.caught_up(state)
        self.search.advance(state)
        if not self.ctx.report.failures and "projects" not in self.ctx.report.incomplete:
            # Every project's own lists were read: a later searching run re-reads those of projects
            # whose modified_at moves from here.
            state.setdefault("project_modified_at", {}).update(
                {p["gid"]: p.get("modified_at") for p in self.listings.projects()})
