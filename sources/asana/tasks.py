"""The task crawl: which tasks changed this run, with their subtasks, stories and attachments.

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
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Optional

from .errors import AsanaError, NotFoundError, PremiumRequiredError, TruncatedResultError
from .events import EventStreams
from .helpers import cursor_with_lookback, deleted_task_rows, format_ts, gid_of, max_ts, parse_ts, task_rows
from .settings import (
    RECONCILE_EVERY_RUN_BELOW,
    RECONCILE_INTERVAL_HOURS,
    SEARCH_INDEX_LAG_SECONDS,
    STORY_FIELDS,
    TASK_FIELDS,
    opt_fields,
)
from .throttle import RateLimiter


Batch = dict[str, list[dict]]


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


class TaskCrawl:
    """One run's walk over the tasks. ``ctx`` is the run's ``SyncContext``."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.report = ctx.report
        self.listings = ctx.listings
        self.changed_gids: set[str] = set()
        self.state: dict = {}
        self._forced: set[str] = set()
        self._seen: set[str] = set()
        self._crawled_parents: set[str] = set()
        self._pending_parents: list[str] = []
        self._failed: set[str] = set()
        self._touched: Optional[set[str]] = None
        self._reconciling: Optional[bool] = None
        self._search_handled = False
        self._lock = threading.Lock()
        self._plan_lock = threading.Lock()
        self._search_limiter = RateLimiter(ctx.search_requests_per_minute)
        self.events = EventStreams(self.client, self.report, self.project_tasks, self._known_project_tasks)

    # --- the run, step by step --------------------------------------------------------------------

    def changed_tasks(self, state: dict, projects: Optional[list[str]] = None, final: bool = True) -> Iterator[Batch]:
        """Row batches (``{table: rows}``) for the tasks of this run, or of one checkpoint step of
        it: the tasks of ``projects`` (all when None), then, when ``final``, the tasks in no
        project, the subtasks of every known parent and deletions.

        ``state`` is the tasks resource's dlt state, committed with the data it covers:
        ``{"project_cursors": {"<project gid>": "<max modified_at seen>"}, "assignee_cursors":
        {"<workspace gid>:<user gid>": "..."}, "event_syncs": {"<project gid>": "<sync token>"},
        "last_reconciled_at": "<time>", "retry_tasks": ["<gid to read again>"]}``. A task named by
        an event stream, or whose subtasks or stories failed, stays in ``retry_tasks`` until it
        was read, so a run killed between steps loses no change.
        """
        self.state = state
        if self._touched is None:
            self._begin(state)
        batch = RowBatch()
        yield from batch.add(self.handle(self.events.relisted))
        self.events.relisted = []
        if not self._search_handled:
            self._search_handled = True
            for found in self.searched(state).values():
                # Search returns changed subtasks itself: only changed parents' subtasks are listed.
                yield from batch.add(self.handle(found, crawl_unchanged=False))
        project_gids = self.listings.project_gids() if projects is None else projects
        yield from self.list_projects(state.setdefault("project_cursors", {}), self._listed_projects(project_gids), batch)
        if final:
            yield from self.list_unprojected(state.setdefault("assignee_cursors", {}), batch)
            if self._reconciling:
                # Subtasks never appear in project lists and their changes never bump the parent.
                self._queue_parents(self.ctx.warehouse_parents)
        yield from self.crawl_subtasks(batch)
        yield from batch.flush()
        # The assignees' lists may spread over several final steps (StepClock); the run ends with the last.
        finished = final and self.ctx.clock.done("tasks", "unprojected")
        if finished:
            yield from self.finish(state)
        with self._lock:
            state["retry_tasks"] = sorted(self._failed | (set() if finished else self._touched - self._seen))

    def _begin(self, state: dict) -> None:
        """The first task step of a run: decide whether it reconciles, and read the event streams
        (first, so that whatever changes while this run lists tasks is in the next run's streams)."""
        self.plan(state)
        retry = set(state.pop("retry_tasks", []))
        self._forced |= retry
        self._queue_parents(retry)
        self._touched = self.read_event_streams(state.setdefault("event_syncs", {}), bool(self._reconciling)) | retry
        self.report.task_discovery = self.discovery(state)

    def discovery(self, state: dict) -> str:
        """``reconcile``, or which incremental paths this run takes: ``search``, ``projects`` or both."""
        if self._reconciling:
            return "reconcile"
        searched = self.searched(state)
        listed = [w for w in self.listings.workspace_gids() if w not in searched]
        return "+".join(name for name, used in (("search", bool(searched)), ("projects", bool(listed))) if used) \
            or "projects"

    def plan(self, state: dict) -> None:
        """Decide, once per run, whether this run reconciles. Also asked before the task steps, by
        the listings of per-project objects (``projects_to_refresh``), with the tasks' state."""
        with self._plan_lock:
            if self._reconciling is None:
                self._reconciling = self.reconciling(state)

    @property
    def is_reconciling(self) -> bool:
        return bool(self._reconciling)

    def reconciling(self, state: dict) -> bool:
        if resuming_first_sync(state) and self.ctx.reconcile != "always":
            # Projects with a cursor were read by a step that was loaded: only what changed since is
            # read again, projects without one in full. The next run reconciles.
            return False
        return should_reconcile(self.ctx.reconcile, len(self.ctx.warehouse_fingerprints),
                                state.get("last_reconciled_at"), below_tasks=self.ctx.reconcile_below_tasks,
                                interval_hours=self.ctx.reconcile_interval_hours)

    def uses_events(self, known_tasks: Optional[int] = None) -> bool:
        """Whether some runs are incremental (then project streams show deletions and moves), for
        ``known_tasks`` (by default, what the warehouse held when the run started)."""
        if known_tasks is None:
            known_tasks = len(self.ctx.warehouse_fingerprints)
        return self.ctx.reconcile == "never" or (self.ctx.reconcile == "auto"
                                                 and known_tasks >= self.ctx.reconcile_below_tasks)

    def read_event_streams(self, event_syncs: dict, reconciling: bool) -> set[str]:
        touched: set[str] = set()
        if not self.uses_events() and not event_syncs:
            return touched  # reconciling every run: the listings show every change
        if reconciling:
            event_syncs.clear()
            if self.uses_events():
                self._start_streams(event_syncs)
            return touched
        searched = self.searched(self.state)
        for project_gid in [p for p in event_syncs if self.listings.workspace_of_project(p) in searched]:
            del event_syncs[project_gid]  # this run and the next ones search that workspace instead
        projects = self._listed_projects(self.listings.project_gids())
        for project_gid, token, gids in self.client.map(lambda p: self.events.read(p, event_syncs.get(p)), projects):
            if token:
                event_syncs[project_gid] = token
            touched |= gids
        return touched

    def _start_streams(self, event_syncs: dict) -> None:
        # Workspaces that search finds changes in need no streams (one request per project).
        projects = [p for p in self.listings.project_gids()
                    if self.listings.workspace_of_project(p) not in self.searchable()]
        for project_gid, token in self.client.map(self.events.start, projects):
            if token:
                event_syncs[project_gid] = token

    # --- incremental runs through search ----------------------------------------------------------

    def searched(self, state: dict) -> dict[str, list[dict]]:
        """``{workspace gid: tasks modified since its search cursor}`` for the workspaces whose
        changes this run finds through search; other workspaces are read project by project.

        Empty on reconciling runs and with ``incremental=projects``. A workspace without a cursor
        yet (the run after an upgrade), without premium (402) or whose search failed is read
        project by project this run: more requests, nothing missed."""
        self.plan(state)
        return self.listings.once("task search", lambda: self._search_workspaces(state.get("search_cursors") or {}))

    def _search_workspaces(self, cursors: dict) -> dict[str, list[dict]]:
        if self._reconciling or self.ctx.incremental == "projects":
            return {}
        lookback = max(self.ctx.lookback_seconds, SEARCH_INDEX_LAG_SECONDS)
        found: dict[str, list[dict]] = {}
        for workspace_gid in self.listings.workspace_gids():
            since = cursor_with_lookback(cursors.get(workspace_gid), lookback)
            if since is None:
                continue
            path = f"/workspaces/{workspace_gid}/tasks/search"
            try:
                found[workspace_gid] = self._covered(self.search(workspace_gid, {}, since))
            except AsanaError as exc:  # 402 (no premium), a failure: its projects are listed instead
                self.report.note_unavailable(path, exc)
        return found

    def _covered(self, tasks: list[dict]) -> list[dict]:
        """Found tasks this run covers: beside team partitions, those in one of its own projects,
        in no project, or subtasks (a subtask is in no project; reading it twice is harmless)."""
        if not self.ctx.scope.limited:
            return tasks
        listed = set(self.listings.project_gids())
        return [t for t in tasks if not t.get("memberships") or any(
            gid_of(m.get("project")) in listed for m in t["memberships"] if isinstance(m, dict))]

    def searchable(self) -> set[str]:
        """Workspaces where search answers (one ``limit=1`` search each, once per run): asked on
        reconciling runs, to start event streams only where later runs will need them."""
        def probe() -> set[str]:
            if self.ctx.incremental == "projects":
                return set()
            answering = set()
            for workspace_gid in self.listings.workspace_gids():
                self._search_limiter.acquire()
                try:
                    self.client.request_json(f"/workspaces/{workspace_gid}/tasks/search",
                                             {"modified_at.after": self.report.run_started_at, "limit": 1})
                    answering.add(workspace_gid)
                except AsanaError:
                    pass
            return answering
        return self.listings.once("search probe", probe)

    def _listed_projects(self, project_gids: list[str]) -> list[str]:
        """The projects whose tasks this run lists: all but those of workspaces searched instead."""
        searched = self.searched(self.state)
        if not searched:
            return project_gids
        return [p for p in project_gids if self.listings.workspace_of_project(p) not in searched]

    def projects_to_refresh(self, state: dict) -> Optional[set[str]]:
        """The projects whose own lists (sections, memberships, statuses, briefs) this run reads:
        None for all. On a run that searches a workspace, only its projects that are new, whose
        ``modified_at`` moved since the last run without failures, or that hold a task that
        changed (differs from the warehouse); the next reconciliation reads the rest."""
        searched = self.searched(state)
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

    def list_projects(self, cursors: dict, project_gids: list[str], batch: "RowBatch") -> Iterator[Batch]:
        def fetch(project_gid: str) -> tuple[str, list[dict]]:
            since = None if self._reconciling else cursor_with_lookback(cursors.get(project_gid),
                                                                        self.ctx.lookback_seconds)
            return project_gid, self.project_tasks(project_gid, since)

        for project_gid, tasks in self.client.map(fetch, project_gids):
            for task in tasks:
                cursors[project_gid] = max_ts(cursors.get(project_gid), task.get("modified_at"))
            yield from batch.add(self.handle(tasks))

    def list_unprojected(self, cursors: dict, batch: "RowBatch") -> Iterator[Batch]:
        """Tasks in no project are only reachable through their assignee's task list (or search)."""
        def fetch(key: tuple[str, str]) -> tuple[str, list[dict]]:
            workspace_gid, user_gid = key
            cursor_key = f"{workspace_gid}:{user_gid}"
            since = None if self._reconciling else cursor_with_lookback(cursors.get(cursor_key), self.ctx.lookback_seconds)
            return cursor_key, self.assigned_tasks(workspace_gid, user_gid, since)

        searched = self.searched(self.state)
        # Tasks in no project belong to the workspace's partition, not to a team's.
        pairs = [] if self.ctx.scope.team_only else \
            [(w, u) for w, u in self.listings.workspace_users() if w not in searched]
        for cursor_key, assigned in self.client.map(fetch, self.ctx.clock.take("tasks", pairs, "unprojected")):
            for task in assigned:
                cursors[cursor_key] = max_ts(cursors.get(cursor_key), task.get("modified_at"))
            yield from batch.add(self.handle([t for t in assigned if not t.get("memberships") and not t.get("parent")]))

    def crawl_subtasks(self, batch: "RowBatch") -> Iterator[Batch]:
        while self._pending_parents:
            wave, self._pending_parents = self._pending_parents, []
            for _, subtasks in self.client.map(self.subtasks_of, wave):
                if subtasks:
                    yield from batch.add(self.handle(subtasks))

    def finish(self, state: dict) -> Iterator[Batch]:
        if not self._reconciling:
            # What modified_since cannot show (deletions, moves) the project streams named.
            yield from self.reread(self._touched - self._seen)
            if resuming_first_sync(state):
                # The resumed first sync is complete: from the next run on, reconcile as usual.
                state["first_sync_finished"] = True
        elif "tasks" in self.report.incomplete:
            # A listing failed: tasks it would have returned are not deleted, only unread.
            pass
        else:
            yield from self.reread(set(self.ctx.warehouse_fingerprints) - self._seen)
            state["last_reconciled_at"] = self.report.run_started_at
            if not self.uses_events() and self.uses_events(len(self._seen)):
                # A first sync learns the organization's size only by listing it. Above
                # ``reconcile_below_tasks`` the next runs do not reconcile: their streams start now,
                # or the deletions and moves before the second run would wait a day.
                self._start_streams(state.setdefault("event_syncs", {}))
        if "tasks" not in self.report.incomplete and self.ctx.incremental != "projects":
            # Everything modified before this run started was read: the next search starts here
            # (minus the look-back that covers the search index's lag).
            cursors = state.setdefault("search_cursors", {})
            cursors.update({w: self.report.run_started_at for w in self.listings.workspace_gids()})
        if not self.report.failures and "projects" not in self.report.incomplete:
            # Every project's own lists were read: a later searching run re-reads those of projects
            # whose modified_at moves from here.
            state.setdefault("project_modified_at", {}).update(
                {p["gid"]: p.get("modified_at") for p in self.listings.projects()})

    # --- what each step does with a task ----------------------------------------------------------

    def handle(self, tasks: list[dict], crawl_unchanged: bool = True) -> Batch:
        """Rows of the tasks not handled yet whose fingerprint differs from the warehouse's. Their
        subtasks are listed next, also of unchanged tasks unless ``crawl_unchanged`` is False."""
        batch: Batch = {}
        for task in tasks:
            gid = task["gid"]
            if gid in self._seen:
                continue
            self._seen.add(gid)
            rows = task_rows(task)
            changed = gid in self._forced or \
                self.ctx.warehouse_fingerprints.get(gid) != rows["tasks"][0]["sync_fingerprint"]
            if changed:
                self.changed_gids.add(gid)
                for table, table_rows in rows.items():
                    batch.setdefault(table, []).extend(table_rows)
            # A server that ignores opt_fields says nothing of subtasks: then every task may have some.
            if (changed or crawl_unchanged) and ((task.get("num_subtasks") or 0) > 0 or "num_subtasks" not in task):
                self._queue_parents([gid])
        return batch

    def reread(self, gids: set[str]) -> Iterator[Batch]:
        """Tasks no listing returned: each is read again, or marked deleted if Asana answers 404."""
        if not gids:
            return
        gone, alive = self.ctx.deletions.probe_tasks(sorted(gids))
        self._forced |= {t["gid"] for t in alive}
        if alive:
            yield self.handle(alive)
        known = [gid for gid in gone if gid in self.ctx.warehouse_fingerprints]
        if known and self.ctx.warehouse is not None:
            yield deleted_task_rows(self.ctx.warehouse.task_rows(known), self.report.run_started_at)

    def retry_later(self, task_gid: str) -> None:
        """The next run reads this task, its subtasks and its stories again."""
        with self._lock:
            self._failed.add(task_gid)
            retry = self.state.setdefault("retry_tasks", [])
            if task_gid not in retry:
                retry.append(task_gid)

    def _queue_parents(self, gids: Any) -> None:
        for gid in sorted(set(gids) - self._crawled_parents):
            self._crawled_parents.add(gid)
            self._pending_parents.append(gid)

    def _known_project_tasks(self, project_gid: str) -> set[str]:
        return self.ctx.warehouse.project_task_gids(project_gid) if self.ctx.warehouse is not None else set()

    # --- listings of tasks ------------------------------------------------------------------------

    def project_tasks(self, project_gid: str, since: Optional[str]) -> list[dict]:
        """Top-level tasks of a project changed since ``since``, split by section if truncated."""
        params = _with_since({"project": project_gid, "opt_fields": TASK_FIELDS}, since)
        try:
            tasks, cut = self.listings.read_all("/tasks", params)
        except NotFoundError:
            return []
        except AsanaError as exc:
            self.report.record_failure("/tasks", params, exc, affects=("tasks",))
            return []
        if cut is None:
            return tasks
        found = {t["gid"]: t for t in tasks}
        _, sections = self.listings.sections_of(project_gid)
        if sections is None:
            self.report.incomplete.add("tasks")
        for section in sections or []:
            section_params = _with_since({"section": section["gid"], "opt_fields": TASK_FIELDS}, since)
            try:
                listed = self.tasks_or_search(section_params, self.listings.workspace_of_project(project_gid),
                                              {"sections.any": section["gid"]}, since)
            except AsanaError as exc:
                self.report.record_failure("/tasks", section_params, exc, affects=("tasks",))
                continue
            for task in listed:
                found.setdefault(task["gid"], task)
        return list(found.values())

    def assigned_tasks(self, workspace_gid: str, user_gid: str, since: Optional[str]) -> list[dict]:
        params = _with_since({"assignee": user_gid, "workspace": workspace_gid, "opt_fields": TASK_FIELDS}, since)
        try:
            return self.tasks_or_search(params, workspace_gid, {"assignee.any": user_gid}, since)
        except AsanaError as exc:
            # A deactivated or guest user's list may be refused; their tasks in projects are read
            # through the projects anyway.
            if exc.status in (400, 402, 403, 404):
                self.report.note_unavailable("/tasks?assignee=", exc)
            else:
                self.report.record_failure("/tasks", params, exc, affects=("tasks",))
            return []

    def tasks_or_search(self, params: dict, workspace_gid: str, search_filters: dict,
                        since: Optional[str]) -> list[dict]:
        """``GET /tasks`` with ``params``; when Asana truncates it, the premium search API with the
        same filter in ``created_at`` windows. Failing both, what the listing returned is kept and
        the gap recorded."""
        try:
            tasks, cut = self.listings.read_all("/tasks", params)
        except NotFoundError:
            return []
        if cut is None:
            return tasks
        try:
            found = {t["gid"]: t for t in tasks}
            found.update((t["gid"], t) for t in self.search(workspace_gid, search_filters, since))
            return list(found.values())
        except (PremiumRequiredError, TruncatedResultError) as exc:
            self.report.record_gap("/tasks", params, f"truncated by Asana; search API unavailable: {exc.message}",
                                   affects=("tasks",))
            return tasks

    def search(self, workspace_gid: str, filters: dict, since: Optional[str]) -> list[dict]:
        """Premium search in disjoint ``created_at`` windows: sort ascending, move ``created_at.after``.

        The search API has no ``next_page``; each call returns at most ``limit`` tasks.
        """
        found: dict[str, dict] = {}
        after: Optional[str] = None
        while True:
            params = {**filters, "sort_by": "created_at", "sort_ascending": "true", "limit": 100,
                      "opt_fields": TASK_FIELDS}
            if since:
                params["modified_at.after"] = since
            if after:
                params["created_at.after"] = after
            self._search_limiter.acquire()  # search's own limit, besides the token's
            page = self.client.get(f"/workspaces/{workspace_gid}/tasks/search", params)
            fresh = [t for t in page if t["gid"] not in found]
            found.update((t["gid"], t) for t in page)
            if len(page) < 100 or not fresh:
                return list(found.values())
            # Tasks created in the same millisecond as the last one may straddle the boundary;
            # stepping back a millisecond and deduplicating by gid keeps the windows lossless.
            after = _minus_ms(max(t["created_at"] for t in page if t.get("created_at")))

    def subtasks_of(self, task_gid: str) -> tuple[str, Optional[list[dict]]]:
        return task_gid, self._child_list(task_gid, "subtasks", TASK_FIELDS, affects=("tasks",))

    # --- stories and attachments ------------------------------------------------------------------

    def stories_of(self, task_gid: str) -> tuple[str, Optional[list[dict]]]:
        return task_gid, self._child_list(task_gid, "stories", STORY_FIELDS)

    def _child_list(self, task_gid: str, child: str, fields: str, affects: tuple[str, ...] = ()) -> Optional[list]:
        """A task's subtasks or stories; None when the task is gone (the next reconciliation marks
        it) or the listing failed (a gap, and the task is read again next run)."""
        path = f"/tasks/{task_gid}/{child}"
        try:
            return self.client.get_all(path, {"opt_fields": fields})
        except NotFoundError:
            return None
        except AsanaError as exc:
            self.report.record_failure(path, {}, exc, affects=affects)
            self.retry_later(task_gid)
            return None

    def stories_and_attachments_of(self, task_gid: str) -> tuple[str, Optional[list], Optional[list]]:
        """A task's stories and, as ``ctx.attachments`` decides, its attachments."""
        _, stories = self.stories_of(task_gid)
        if stories is None:
            return task_gid, None, None
        policy = self.ctx.attachments
        if not policy.should_read(stories):
            return task_gid, stories, (None if policy.mode == "never" else [])
        attachments = self.listings.optional_list("/attachments", {"parent": task_gid,
                                                                   "opt_fields": opt_fields("attachments")})
        policy.learn(stories, attachments)
        return task_gid, stories, attachments


class AttachmentPolicy:
    """Whether a task's attachments are read (the ``attachments`` option).

    Asana records every attachment as an ``attachment_added`` story, so reading attachments only
    for tasks with such a story saves a request per task. ``auto`` trusts that only once this
    server has shown it: attachments are read for every task until 20 tasks with attachments all
    had the story (then the story decides); one task with an attachment and no story, and every
    task is read from then on. The verdict is kept in dlt state: ``{"attachment_signal": true}``.
    """

    CONFIRMATIONS = 20

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.signal: Optional[bool] = None
        self._confirmations = 0
        self._lock = threading.Lock()

    def should_read(self, stories: list[dict]) -> bool:
        if self.mode == "never":
            return False
        announced = any(s.get("resource_subtype") == "attachment_added" for s in stories)
        return announced or not (self.mode == "stories" or self.signal is True)

    def learn(self, stories: list[dict], attachments: Optional[list]) -> None:
        if self.mode != "auto" or not attachments:
            return
        announced = any(s.get("resource_subtype") == "attachment_added" for s in stories)
        with self._lock:
            if not announced:
                self.signal = False
            elif self.signal is None:
                self._confirmations += 1
                if self._confirmations >= self.CONFIRMATIONS:
                    self.signal = True

    def remember(self, state: dict) -> None:
        """Carry the verdict across runs; a broken signal is never trusted again."""
        with self._lock:
            if self.signal is None and state.get("attachment_signal") is not None:
                self.signal = bool(state["attachment_signal"])
            if self.signal is not None:
                state["attachment_signal"] = self.signal


class RowBatch:
    """Collects ``{table: rows}`` batches and releases them in large chunks.

    dlt re-validates a table's hints on every yield, which costs more than the rows themselves
    when a yield holds one parent's three subtasks.
    """

    def __init__(self, max_tasks: int = 2_000) -> None:
        self.max_tasks = max_tasks
        self.rows: Batch = {}

    def add(self, rows: Batch) -> Iterator[Batch]:
        for table, table_rows in rows.items():
            self.rows.setdefault(table, []).extend(table_rows)
        if len(self.rows.get("tasks", ())) >= self.max_tasks:
            yield from self.flush()

    def flush(self) -> Iterator[Batch]:
        if self.rows:
            rows, self.rows = self.rows, {}
            yield rows


def _with_since(params: dict, since: Optional[str]) -> dict:
    return {**params, "modified_since": since} if since else params


def _minus_ms(value: Optional[str]) -> Optional[str]:
    parsed = parse_ts(value)
    return format_ts(parsed - timedelta(milliseconds=1)) if parsed else None
