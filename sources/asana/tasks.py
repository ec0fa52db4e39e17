"""The task crawl: reading the tasks change discovery (``discovery.py``) points at, with their
subtasks, stories and attachments, as rows.

Discovery decides whether this run reconciles and where changes are (search results, projects and
assignees to list from their cursors, tasks the event streams named); the crawl reads those lists,
keeps the tasks whose fingerprint differs from the warehouse's, walks down to their subtasks (which
no project list returns), reads again what no listing returned (404 = deleted), and reads the
stories and attachments of the tasks that changed.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator, Optional

from .discovery import ChangeDiscovery
from .errors import AsanaError, NotFoundError
from .helpers import deleted_task_rows, task_rows
from .settings import STORY_FIELDS, TASK_FIELDS, opt_fields
from .task_listings import TaskListings, TaskSearch


Batch = dict[str, list[dict]]


class TaskCrawl:
    """One run's walk over the tasks. ``ctx`` is the run's ``SyncContext``; ``discovery`` (a
    ``ChangeDiscovery``, which reads the same listings of tasks) says where the changes are.

    The crawl's own key of the tasks resource's state: ``{"retry_tasks": ["<gid to read again>"]}``.
    A task named by an event stream, or whose subtasks or stories failed, stays there until it was
    read, so a run killed between steps loses no change.
    """

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.report = ctx.report
        self.listings = ctx.listings
        self.lists = TaskListings(ctx.listings, ctx.report, TaskSearch(ctx.client, ctx.search_requests_per_minute))
        self.discovery = ChangeDiscovery(ctx, self.lists)
        self.changed_gids: set[str] = set()
        self.state: dict = {}
        self._forced: set[str] = set()
        self._seen: set[str] = set()
        self._crawled_parents: set[str] = set()
        self._pending_parents: list[str] = []
        self._failed: set[str] = set()
        self._touched: Optional[set[str]] = None
        self._search_handled = False
        self._lock = threading.Lock()

    # --- the run, step by step --------------------------------------------------------------------

    def changed_tasks(self, state: dict, projects: Optional[list[str]] = None, final: bool = True) -> Iterator[Batch]:
        """Row batches (``{table: rows}``) for the tasks of this run, or of one checkpoint step of
        it: the tasks of ``projects`` (all when None), then, when ``final``, the tasks in no
        project, the subtasks of every known parent and deletions.

        ``state`` is the tasks resource's dlt state, committed with the data it covers: the crawl's
        ``{"retry_tasks": [...]}`` and discovery's cursors, stream tokens and reconciliation time
        (``{"project_cursors": {...}, "assignee_cursors": {...}, "search_cursors": {...},
        "event_syncs": {...}, "last_reconciled_at": "...", ...}``; see ``discovery.py``).
        """
        self.state = state
        if self._touched is None:
            self._begin(state)
        batch = RowBatch()
        yield from batch.add(self.handle(self.discovery.take_relisted()))
        if not self._search_handled:
            self._search_handled = True
            for found in self.discovery.searched(state).values():
                # Search returns changed subtasks itself: only changed parents' subtasks are listed.
                yield from batch.add(self.handle(found, crawl_unchanged=False))
        project_gids = self.listings.project_gids() if projects is None else projects
        yield from self.list_projects(state, self.discovery.listed_projects(state, project_gids), batch)
        if final:
            yield from self.list_unprojected(state, batch)
            if self.discovery.reconciling:
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
        """The first task step of a run: the tasks left to read again by the last run, and those
        discovery's event streams name, are read this run whatever their fingerprint."""
        retry = set(state.pop("retry_tasks", []))
        self._forced |= retry
        self._queue_parents(retry)
        self._touched = self.discovery.begin(state) | retry

    def list_projects(self, state: dict, project_gids: list[str], batch: "RowBatch") -> Iterator[Batch]:
        cursors = self.discovery.project_cursors(state)

        def fetch(project_gid: str) -> tuple[str, list[dict]]:
            return project_gid, self.lists.project_tasks(project_gid, cursors.since(project_gid))

        for project_gid, tasks in self.client.map(fetch, project_gids):
            cursors.advance(project_gid, tasks)
            yield from batch.add(self.handle(tasks))

    def list_unprojected(self, state: dict, batch: "RowBatch") -> Iterator[Batch]:
        """Tasks in no project are only reachable through their assignee's task list (or search)."""
        cursors = self.discovery.assignee_cursors(state)

        def fetch(key: tuple[str, str]) -> tuple[str, list[dict]]:
            workspace_gid, user_gid = key
            cursor_key = f"{workspace_gid}:{user_gid}"
            return cursor_key, self.lists.assigned_tasks(workspace_gid, user_gid, cursors.since(cursor_key))

        pairs = self.discovery.listed_assignees(state)
        for cursor_key, assigned in self.client.map(fetch, self.ctx.clock.take("tasks", pairs, "unprojected")):
            cursors.advance(cursor_key, assigned)
            yield from batch.add(self.handle([t for t in assigned if not t.get("memberships") and not t.get("parent")]))

    def crawl_subtasks(self, batch: "RowBatch") -> Iterator[Batch]:
        while self._pending_parents:
            wave, self._pending_parents = self._pending_parents, []
            for _, subtasks in self.client.map(self.subtasks_of, wave):
                if subtasks:
                    yield from batch.add(self.handle(subtasks))

    def finish(self, state: dict) -> Iterator[Batch]:
        """The run's last step: the tasks no listing returned are read again (or marked deleted),
        then discovery records where the next run starts."""
        reconciled = False
        if not self.discovery.reconciling:
            # What modified_since cannot show (deletions, moves) the project streams named.
            yield from self.reread(self._touched - self._seen)
        elif "tasks" not in self.report.incomplete:
            # (After a failed listing the tasks it would have returned are not deleted, only unread.)
            yield from self.reread(set(self.ctx.warehouse_fingerprints) - self._seen)
            reconciled = True
        self.discovery.finish(state, reconciled, tasks_seen=len(self._seen))

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

    # --- subtasks, stories and attachments --------------------------------------------------------

    def subtasks_of(self, task_gid: str) -> tuple[str, Optional[list[dict]]]:
        return task_gid, self._child_list(task_gid, "subtasks", TASK_FIELDS, affects=("tasks",))

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
