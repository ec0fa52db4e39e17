"""What one sync run knows: the client, the selected workspaces, shared listings and the gaps found.

The resources in ``__init__`` are thin; the crawling logic (hierarchy splits, subtasks, cursors)
lives here as plain methods so it can be read and tested on its own.
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator, Optional

from .client import (
    AsanaClient,
    AsanaError,
    ForbiddenError,
    NotFoundError,
    PremiumRequiredError,
    SyncTokenError,
    TruncatedResultError,
)
from .helpers import (
    cursor_with_lookback,
    deleted_task_rows,
    format_ts,
    max_ts,
    parse_ts,
    split_date_window,
    task_rows,
)
from .settings import (
    PROJECT_FIELDS,
    SECTION_FIELDS,
    STORY_FIELDS,
    TASK_FIELDS,
    TEAM_FIELDS,
    TIME_TRACKING_DETAIL_FIELDS,
    TIME_TRACKING_FIRST_DAY,
    TIME_TRACKING_LIST_FIELDS,
    USER_FIELDS,
    WORKSPACE_FIELDS,
    opt_fields,
)


# The context of the most recent source instance; the pipeline reads run statistics from it.
LAST_CONTEXT: "Optional[SyncContext]" = None

# Listing every task each run is cheap while a workspace is small; above this many tasks a full
# reconciliation (which also catches tag, follower and move changes that never bump modified_at,
# subtask-only changes and deletions) runs once per interval and other runs use modified_since.
RECONCILE_EVERY_RUN_BELOW = 50_000
RECONCILE_INTERVAL_HOURS = 24


class InvalidOptionError(AsanaError):
    """An option of the source has a value it cannot work with."""


class UnknownWorkspaceError(InvalidOptionError):
    """A workspace asked for in the config is not visible to the token."""


class SyncContext:
    """Listings shared by several resources, fetched once per run and cached.

    ``warehouse`` (optional) is what the destination already holds, so the sync can tell changed
    tasks from unchanged ones and notice deletions: an object with ``task_fingerprints() ->
    {gid: fingerprint}``, ``parent_gids() -> set`` and ``task_rows(gids) -> [row dicts]``.
    """

    def __init__(self, client: AsanaClient, workspaces: Any = None, lookback_seconds: int = 300,
                 reconcile: str = "auto", warehouse: Any = None, attachments: str = "auto") -> None:
        if reconcile not in ("auto", "always", "never"):
            raise InvalidOptionError(f"reconcile must be auto, always or never, not {reconcile!r}")
        if attachments not in ("auto", "always", "stories", "never"):
            raise InvalidOptionError(f"attachments must be auto, always, stories or never, not {attachments!r}")
        self.attachments = attachments
        self._attachment_signal: Optional[bool] = None
        self._attachment_confirmations = 0
        self.client = client
        self.reconcile = reconcile
        self.warehouse = warehouse
        self.changed_gids: set[str] = set()
        self._warehouse_fingerprints: Optional[dict] = None
        self._warehouse_parents: Optional[set] = None
        self._cache: dict[Any, Any] = {}
        self._key_locks: dict[Any, threading.RLock] = {}
        self.relisted: list[dict] = []
        self.goal_workspaces: list[str] = []
        self.unavailable: dict[str, str] = {}
        if isinstance(workspaces, str):
            # From the environment: a JSON list ('["123"]') or a comma-separated string ("123,456").
            text = workspaces.strip()
            workspaces = json.loads(text) if text.startswith("[") else text.split(",")
        self.wanted = [str(w).strip() for w in (workspaces or []) if str(w).strip()]
        self.lookback_seconds = lookback_seconds
        self.run_started_at = format_ts(datetime.now(timezone.utc))
        self.gaps: list[dict] = []
        self._lock = threading.Lock()

    @property
    def warehouse_fingerprints(self) -> dict:
        """Live tasks the warehouse holds in the selected workspaces: {gid: fingerprint}."""
        if self._warehouse_fingerprints is None:
            known = self.warehouse.task_fingerprints() if self.warehouse is not None else {}
            wanted = {w["gid"] for w in self.workspaces()}
            self._warehouse_fingerprints = {gid: fp for gid, (workspace, fp) in known.items()
                                            if workspace in wanted or workspace is None}
        return self._warehouse_fingerprints

    @property
    def warehouse_parents(self) -> set:
        if self._warehouse_parents is None:
            parents = self.warehouse.parent_gids() if self.warehouse is not None else set()
            self._warehouse_parents = parents & set(self.warehouse_fingerprints)
        return self._warehouse_parents

    # --- shared listings -------------------------------------------------------------------------

    def _once(self, key: Any, fetch: Any) -> Any:
        """``fetch()`` the first time ``key`` is asked for, from whichever thread asks first; later
        callers wait for and share that answer. Only callers of the same key wait on each other,
        and nothing holds the context's own lock while requests run."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            key_lock = self._key_locks.setdefault(key, threading.RLock())
        with key_lock:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            value = fetch()
            with self._lock:
                self._cache[key] = value
            return value

    def workspaces(self) -> list[dict]:
        return self._once("workspaces", self._fetch_workspaces)

    def _fetch_workspaces(self) -> list[dict]:
        visible = self.client.get_all("/workspaces", {"opt_fields": WORKSPACE_FIELDS})
        if not self.wanted:
            return visible
        by_key = {w["gid"]: w for w in visible} | {w.get("name"): w for w in visible}
        missing = [w for w in self.wanted if w not in by_key]
        if missing:
            names = ", ".join(f"{w['gid']} ({w.get('name')})" for w in visible) or "none"
            raise UnknownWorkspaceError(f"workspace {', '.join(missing)} is not visible to this token; visible: {names}")
        return list({by_key[w]["gid"]: by_key[w] for w in self.wanted}.values())

    def teams(self) -> list[dict]:
        return self._once("teams", lambda: [
            team for w in self.workspaces() if w.get("is_organization")
            for team in self.client.get_all(f"/workspaces/{w['gid']}/teams", {"opt_fields": TEAM_FIELDS})])

    def projects(self) -> list[dict]:
        """Projects per team in organizations (workspace-wide lists time out on big domains),
        per workspace elsewhere."""
        return self._once("projects", self._fetch_projects)

    def _fetch_projects(self) -> list[dict]:
        found: dict[str, dict] = {}
        for team in self.teams():
            # A team the token cannot open (403/404) has no projects to read, not a failure.
            for project in self.optional_list(f"/teams/{team['gid']}/projects", {"opt_fields": PROJECT_FIELDS}) or []:
                found.setdefault(project["gid"], project)
        for workspace in self.workspaces():
            if not workspace.get("is_organization"):
                for project in self.client.get_all("/projects", {"workspace": workspace["gid"],
                                                                 "opt_fields": PROJECT_FIELDS}):
                    found.setdefault(project["gid"], project)
        return list(found.values())

    def sections_of(self, project_gid: str) -> tuple[str, list[dict]]:
        try:
            return project_gid, self.client.get_all(f"/projects/{project_gid}/sections",
                                                    {"opt_fields": SECTION_FIELDS})
        except NotFoundError:
            return project_gid, []

    def stories_of(self, task_gid: str) -> tuple[str, Optional[list[dict]]]:
        try:
            return task_gid, self.client.get_all(f"/tasks/{task_gid}/stories", {"opt_fields": STORY_FIELDS})
        except NotFoundError:
            # Deleted between listing and now: keep what we have; the next reconciliation marks it.
            return task_gid, None

    def stories_and_attachments_of(self, task_gid: str) -> tuple[str, Optional[list], Optional[list]]:
        """A task's stories and attachments (``attachments`` option).

        Asana records every attachment as an ``attachment_added`` story, so reading attachments only
        for tasks with such a story saves a request per task. ``auto`` trusts that only once this
        server has shown it: attachments are read for every task until 20 tasks with attachments all
        had the story (then the story decides); one task with an attachment and no story, and
        every task is read for the rest of the run.
        """
        _, stories = self.stories_of(task_gid)
        if stories is None:
            return task_gid, None, None
        if self.attachments == "never":
            return task_gid, stories, None
        announced = any(s.get("resource_subtype") == "attachment_added" for s in stories)
        if not announced and (self.attachments == "stories" or self._attachment_signal is True):
            return task_gid, stories, []
        attachments = self.optional_list("/attachments", {"parent": task_gid, "opt_fields": opt_fields("attachments")})
        if self.attachments == "auto" and attachments:
            with self._lock:
                if not announced:
                    self._attachment_signal = False
                elif self._attachment_signal is None:
                    self._attachment_confirmations += 1
                    if self._attachment_confirmations >= 20:
                        self._attachment_signal = True
        return task_gid, stories, attachments

    def read_all(self, path: str, params: dict) -> tuple[list[dict], Optional[TruncatedResultError]]:
        """Every page of a listing, and Asana's truncation error if it stopped early: the pages
        before it are kept, so nothing read is read twice."""
        items: list[dict] = []
        try:
            for page in self.client.paginate(path, params):
                items.extend(page)
        except TruncatedResultError as exc:
            return items, exc
        return items, None

    def listing(self, path: str, params: dict) -> tuple[list[dict], bool]:
        """Every item of a listing that cannot be split further, and whether that was all of it:
        when Asana truncates it, what it did return is kept and the gap recorded."""
        items, cut = self.read_all(path, params)
        if cut is not None:
            self.record_gap(path, _without_fields(params), f"truncated by Asana and not splittable: {cut.message}")
        return items, cut is None

    def remember_attachment_signal(self, state: dict) -> None:
        """Carry the verdict on ``attachment_added`` stories across runs in the stories' dlt state,
        ``{"attachment_signal": true | false}``; a broken signal is never trusted again."""
        with self._lock:
            if self._attachment_signal is None and state.get("attachment_signal") is not None:
                self._attachment_signal = bool(state["attachment_signal"])
            if self._attachment_signal is not None:
                state["attachment_signal"] = self._attachment_signal

    def optional_list(self, path: str, params: dict) -> Optional[list[dict]]:
        """A listing that may not exist for this token (premium feature, no access, deprecated):
        None when unavailable or truncated (the caller keeps what it had), else every item."""
        try:
            items, complete = self.listing(path, params)
        except (PremiumRequiredError, ForbiddenError, NotFoundError) as exc:
            self.note_unavailable(path, exc)
            return None
        return items if complete else None

    def optional_get(self, path: str, params: dict) -> Optional[dict]:
        try:
            return self.client.get(path, params)
        except (PremiumRequiredError, ForbiddenError, NotFoundError) as exc:
            self.note_unavailable(path, exc)
            return None

    def note_unavailable(self, path: str, exc: AsanaError) -> None:
        with self._lock:
            self.unavailable.setdefault(_path_kind(path), f"HTTP {exc.status}: {exc.message}")

    def vanished(self, table: str, listed: set[str], probe: str, fields: str) -> tuple[list[dict], list[dict]]:
        """Rows the warehouse holds (live, in the selected workspaces) that this run's complete
        listing did not return: (last known rows of those Asana answers 404 for, objects still alive)."""
        if self.warehouse is None:
            return [], []
        in_scope = self._scope(table)
        known = [r for r in self.warehouse.live_rows(table) if r["gid"] not in listed and in_scope(r)]
        if not known:
            return [], []

        def fetch(gid: str) -> tuple[str, Optional[dict], bool]:
            try:
                return gid, self.client.get(probe.format(gid=gid), {"opt_fields": fields}), False
            except NotFoundError:
                return gid, None, True
            except (ForbiddenError, PremiumRequiredError):
                return gid, None, False

        by_gid = {r["gid"]: r for r in known}
        deleted, alive = [], []
        for gid, obj, is_gone in self.client.map(fetch, list(by_gid)):
            if is_gone:
                deleted.append(by_gid[gid])
            elif obj is not None:
                alive.append(obj)
        return deleted, alive

    def deletions(self, table: str) -> tuple[list[dict], list[dict]]:
        """``vanished`` for projects or portfolios, computed once per run: both the table itself and
        the tables keyed by it (memberships, statuses, items, ...) need the answer."""
        def compute() -> tuple[list[dict], list[dict]]:
            if table == "projects":
                return self.vanished("projects", {p["gid"] for p in self.projects()}, "/projects/{gid}",
                                     PROJECT_FIELDS)
            return self.vanished("portfolios", {p["gid"] for p in self.portfolios()}, "/portfolios/{gid}",
                                 opt_fields("portfolios"))

        return self._once(("deletions", table), compute)

    def gone(self, table: str) -> list[str]:
        """Parents whose dependent rows must be cleared: deleted this run or marked deleted before."""
        return self._once(("gone", table), lambda: self._gone(table))

    def _gone(self, table: str) -> list[str]:
        if self.warehouse is None:
            return []
        if table == "goals":
            listed = {g["gid"] for g in self.goals()}
            read = set(self.goal_workspaces)
            return sorted(r["gid"] for r in self.warehouse.rows("goals")
                          if r.get("workspace_gid") in read and r["gid"] not in listed)
        deleted, _ = self.deletions(table)
        before = {r["gid"] for r in self.warehouse.rows(table) if r.get("is_deleted")}
        return sorted({r["gid"] for r in deleted} | before)

    def _scope(self, table: str) -> Any:
        """Whether a warehouse row belongs to the selected workspaces (rows of others are not ours
        to mark deleted)."""
        wanted = {w["gid"] for w in self.workspaces()}
        if table == "sections":
            project_workspaces = self.warehouse.project_workspaces()
            return lambda row: project_workspaces.get(row.get("project_gid")) in wanted
        return lambda row: row.get("workspace_gid") in wanted or row.get("workspace_gid") is None

    def portfolios(self) -> list[dict]:
        """Portfolios owned by the token's user (the API lists no others) and every portfolio nested
        in them."""
        return self._once("portfolios", self._fetch_portfolios)

    def _fetch_portfolios(self) -> list[dict]:
        found: dict[str, dict] = {}
        for workspace in self.workspaces():
            if not workspace.get("is_organization"):
                continue
            pending = list(self.optional_list("/portfolios", {"workspace": workspace["gid"], "owner": "me",
                                                              "opt_fields": opt_fields("portfolios")}) or [])
            while pending:
                portfolio = pending.pop()
                if portfolio["gid"] in found:
                    continue
                found[portfolio["gid"]] = portfolio
                for item in self.portfolio_items(portfolio["gid"]) or []:
                    if item.get("resource_type") == "portfolio" and item["gid"] not in found:
                        nested = self.optional_get(f"/portfolios/{item['gid']}", {"opt_fields": opt_fields("portfolios")})
                        if nested:
                            pending.append(nested)
        return list(found.values())

    def goals(self) -> list[dict]:
        """Goals per workspace; a truncated workspace list is read per team instead."""
        return self._once("goals", self._fetch_goals)

    def _fetch_goals(self) -> list[dict]:
        goals: dict[str, dict] = {}
        for workspace in self.workspaces():
            params = {"workspace": workspace["gid"], "opt_fields": opt_fields("goals")}
            try:
                listed = self.client.get_all("/goals", params)
            except (PremiumRequiredError, ForbiddenError, NotFoundError) as exc:
                self.note_unavailable("/goals", exc)
                continue
            except TruncatedResultError:
                listed = [goal for team in self.teams() if _gid(team.get("organization")) == workspace["gid"]
                          for goal in self.optional_list("/goals", {"team": team["gid"],
                                                                    "opt_fields": opt_fields("goals")}) or []]
            self.goal_workspaces.append(workspace["gid"])
            for goal in listed:
                goal["_workspace_gid"] = workspace["gid"]
                goals.setdefault(goal["gid"], goal)
        return list(goals.values())

    def users(self, workspace_gid: str) -> list[dict]:
        """Every user of a workspace, from ``GET /users?workspace=`` (sorted by gid, paginated)."""
        return self.user_listing(workspace_gid)[0]

    def user_listing(self, workspace_gid: str) -> tuple[list[dict], bool]:
        """``users`` and whether Asana returned all of them (a truncated list records a gap)."""
        return self._once(("users", workspace_gid), lambda: self.listing(
            "/users", {"workspace": workspace_gid, "opt_fields": USER_FIELDS}))

    def workspace_memberships(self, workspace_gid: str) -> Optional[list[dict]]:
        return self._once(("workspace_memberships", workspace_gid), lambda: self.optional_list(
            f"/workspaces/{workspace_gid}/workspace_memberships", {"opt_fields": opt_fields("workspace_memberships")}))

    def portfolio_items(self, portfolio_gid: str) -> Optional[list[dict]]:
        return self._once(("portfolio_items", portfolio_gid), lambda: self.optional_list(
            f"/portfolios/{portfolio_gid}/items", {"opt_fields": "gid,resource_type"}))

    def workspace_user_gids(self, workspace_gid: str) -> list[str]:
        return [user for workspace, user in self._workspace_users() if workspace == workspace_gid]

    def record_gap(self, endpoint: str, parameters: dict, reason: str) -> None:
        with self._lock:
            self.gaps.append({"run_started_at": self.run_started_at, "endpoint": endpoint,
                              "parameters": json.dumps(parameters, sort_keys=True), "reason": reason})

    def time_tracking_entries(self, workspace_gid: str) -> Optional[tuple[list[dict], bool]]:
        """A workspace's time tracking entries and whether that is all of them; None when the
        workspace offers none to this token.

        Asana requires an ``entered_on`` bound when listing by workspace, so the listing is read in
        date windows: one open-ended window first, split in two whenever Asana truncates it, down to
        single days (a truncated single day keeps what was read and records the gap).
        """
        found: dict[str, dict] = {}
        complete = True
        today = datetime.now(timezone.utc).date()
        pending: list = [(date.fromisoformat(TIME_TRACKING_FIRST_DAY), None)]
        while pending:
            window = pending.pop()
            params = {"workspace": workspace_gid, "entered_on_start_date": window[0].isoformat(),
                      "opt_fields": TIME_TRACKING_LIST_FIELDS}
            if window[1] is not None:
                params["entered_on_end_date"] = window[1].isoformat()
            try:
                items, cut = self.read_all("/time_tracking_entries", params)
            except (PremiumRequiredError, ForbiddenError, NotFoundError) as exc:
                self.note_unavailable("/time_tracking_entries", exc)
                return None
            found.update((item["gid"], item) for item in items)
            if cut is None:
                continue
            halves = split_date_window(window, [item.get("entered_on") for item in items], today)
            if halves is None:
                complete = False
                self.record_gap("/time_tracking_entries", _without_fields(params),
                                f"truncated by Asana within a single day: {cut.message}")
            else:
                pending.extend(halves)
        return list(found.values()), complete

    def time_tracking_detail(self, entry_gid: str) -> tuple[str, Optional[dict]]:
        """An entry's task and created_at, which the workspace listing does not offer."""
        try:
            return entry_gid, self.client.get(f"/time_tracking_entries/{entry_gid}",
                                              {"opt_fields": TIME_TRACKING_DETAIL_FIELDS})
        except NotFoundError:
            return entry_gid, None  # deleted since it was listed

    # --- tasks -----------------------------------------------------------------------------------

    def project_tasks(self, project_gid: str, since: Optional[str]) -> list[dict]:
        """Top-level tasks of a project changed since ``since``, split by section if truncated."""
        params = {"project": project_gid, "opt_fields": TASK_FIELDS}
        if since:
            params["modified_since"] = since
        try:
            tasks, cut = self.read_all("/tasks", params)
        except NotFoundError:
            return []
        if cut is None:
            return tasks
        found = {t["gid"]: t for t in tasks}
        for section in self.sections_of(project_gid)[1]:
            section_params = {"section": section["gid"], "opt_fields": TASK_FIELDS}
            if since:
                section_params["modified_since"] = since
            for task in self.tasks_or_search(section_params, self._workspace_of_project(project_gid),
                                             {"sections.any": section["gid"]}, since):
                found.setdefault(task["gid"], task)
        return list(found.values())

    def tasks_or_search(self, params: dict, workspace_gid: str, search_filters: dict,
                        since: Optional[str]) -> list[dict]:
        """``GET /tasks`` with ``params``; when Asana truncates it, the premium search API with the
        same filter in ``created_at`` windows. Failing both, what the listing returned is kept and
        the gap recorded."""
        try:
            tasks, cut = self.read_all("/tasks", params)
        except NotFoundError:
            return []
        if cut is None:
            return tasks
        try:
            found = {t["gid"]: t for t in tasks}
            found.update((t["gid"], t) for t in self.search(workspace_gid, search_filters, since))
            return list(found.values())
        except (PremiumRequiredError, TruncatedResultError) as exc:
            self.record_gap("/tasks", _without_fields(params), f"truncated by Asana; search API unavailable: "
                                                               f"{exc.message}")
            return tasks

    def _workspace_of_project(self, project_gid: str) -> str:
        for project in self.projects():
            if project["gid"] == project_gid:
                workspace = project.get("workspace")
                if isinstance(workspace, dict):
                    return workspace["gid"]
        return self.workspaces()[0]["gid"]

    def search(self, workspace_gid: str, filters: dict, since: Optional[str]) -> list[dict]:
        """Premium search in disjoint ``created_at`` windows: sort ascending, move ``created_at.after``.

        The search API has no ``next_page``; each call returns at most ``limit`` tasks.
        """
        found: dict[str, dict] = {}
        after: Optional[str] = None
        path = f"/workspaces/{workspace_gid}/tasks/search"
        while True:
            params = {**filters, "sort_by": "created_at", "sort_ascending": "true",
                      "limit": 100, "opt_fields": TASK_FIELDS}
            if since:
                params["modified_at.after"] = since
            if after:
                params["created_at.after"] = after
            page = self.client.get(path, params)
            fresh = [t for t in page if t["gid"] not in found]
            for task in page:
                found[task["gid"]] = task
            if len(page) < 100 or not fresh:
                return list(found.values())
            # Tasks created in the same millisecond as the last one may straddle the boundary;
            # stepping back a millisecond and deduplicating by gid keeps the windows lossless.
            last = max(t["created_at"] for t in page if t.get("created_at"))
            after = _minus_ms(last)

    def subtasks_of(self, task_gid: str) -> tuple[str, Optional[list[dict]]]:
        try:
            return task_gid, self.client.get_all(f"/tasks/{task_gid}/subtasks", {"opt_fields": TASK_FIELDS})
        except NotFoundError:
            return task_gid, None

    def changed_tasks(self, state: dict) -> Iterator[dict[str, list[dict]]]:
        """Yield row batches (``{table: rows}``) for the tasks of this run.

        A reconciling run lists every task (cheap: the same pages as ``modified_since`` would
        need on a busy day), compares each task's fingerprint with the warehouse, re-reads the
        subtasks of every known parent, and confirms vanished tasks with a GET (404 = deleted).
        Other runs list only tasks modified since the per-project cursor.
        """
        project_cursors: dict = state.setdefault("project_cursors", {})
        assignee_cursors: dict = state.setdefault("assignee_cursors", {})
        reconciling = self.should_reconcile(state)
        # Event streams are read (or started) first, so that whatever changes while this run lists
        # tasks is in the stream the next run reads.
        event_syncs: dict = state.setdefault("event_syncs", {})
        touched: set[str] = set()
        if reconciling:
            event_syncs.clear()
            if self.uses_events():
                for project_gid, token in self.client.map(self.fresh_event_sync, _gids(self.projects())):
                    if token:
                        event_syncs[project_gid] = token
        else:
            for project_gid, token, gids in self.client.map(lambda p: self.project_events(p, event_syncs.get(p)),
                                                            _gids(self.projects())):
                if token:
                    event_syncs[project_gid] = token
                touched |= gids
        seen: set[str] = set()
        crawled_parents: set[str] = set()
        pending_parents: list[str] = []

        def handle(tasks: list[dict]) -> dict[str, list[dict]]:
            batch: dict[str, list[dict]] = {}
            for task in tasks:
                if task["gid"] in seen:
                    continue
                seen.add(task["gid"])
                rows = task_rows(task)
                fingerprint = rows["tasks"][0]["sync_fingerprint"]
                # An unchanged task (same fingerprint as in the warehouse) needs no rewrite.
                if self.warehouse_fingerprints.get(task["gid"]) != fingerprint:
                    self.changed_gids.add(task["gid"])
                    for table, table_rows in rows.items():
                        batch.setdefault(table, []).extend(table_rows)
                # A server that ignores opt_fields says nothing of subtasks: then every task may have some.
                has_subtasks = (task.get("num_subtasks") or 0) > 0 or "num_subtasks" not in task
                if has_subtasks and task["gid"] not in crawled_parents:
                    crawled_parents.add(task["gid"])
                    pending_parents.append(task["gid"])
            return batch

        def fetch_project(project: dict) -> tuple[str, list[dict]]:
            since = None if reconciling else cursor_with_lookback(project_cursors.get(project["gid"]),
                                                                  self.lookback_seconds)
            return project["gid"], self.project_tasks(project["gid"], since)

        batch = RowBatch()
        if self.relisted:
            yield from batch.add(handle(self.relisted))
        for project_gid, project_tasks in self.client.map(fetch_project, self.projects()):
            for task in project_tasks:
                project_cursors[project_gid] = max_ts(project_cursors.get(project_gid), task.get("modified_at"))
            yield from batch.add(handle(project_tasks))

        # Tasks in no project are only reachable through their assignee's task list.
        def fetch_assigned(key: tuple[str, str]) -> tuple[str, list[dict]]:
            workspace_gid, user_gid = key
            cursor_key = f"{workspace_gid}:{user_gid}"
            params = {"assignee": user_gid, "workspace": workspace_gid, "opt_fields": TASK_FIELDS}
            since = None if reconciling else cursor_with_lookback(assignee_cursors.get(cursor_key),
                                                                  self.lookback_seconds)
            if since:
                params["modified_since"] = since
            try:
                return cursor_key, self.tasks_or_search(params, workspace_gid, {"assignee.any": user_gid}, since)
            except AsanaError as exc:
                # A deactivated or guest user's list may be refused; their tasks in projects are
                # read through the projects anyway. Anything else (auth, exhausted retries) fails the run.
                if exc.status not in (400, 402, 403, 404):
                    raise
                self.note_unavailable("/tasks?assignee=", exc)
            return cursor_key, []

        for cursor_key, assigned in self.client.map(fetch_assigned, self._workspace_users()):
            for task in assigned:
                assignee_cursors[cursor_key] = max_ts(assignee_cursors.get(cursor_key), task.get("modified_at"))
            orphans = [t for t in assigned if not t.get("memberships") and not t.get("parent")]
            if orphans:
                yield from batch.add(handle(orphans))

        # Subtasks never appear in project lists and their changes never bump the parent, so a
        # reconciling run re-reads the subtasks of every parent the warehouse knows.
        if reconciling:
            for gid in sorted(self.warehouse_parents - crawled_parents):
                crawled_parents.add(gid)
                pending_parents.append(gid)
        while pending_parents:
            wave, pending_parents[:] = list(pending_parents), []
            for parent_gid, subtasks in self.client.map(self.subtasks_of, wave):
                if subtasks:
                    yield from batch.add(handle(subtasks))
        yield from batch.flush()

        if reconciling:
            yield from self._confirm_vanished(seen)
            state["last_reconciled_at"] = self.run_started_at
        else:
            # What modified_since cannot show (deletions, moves) the project streams named.
            yield from self._reread(touched - seen)

    def uses_events(self) -> bool:
        return self.reconcile == "never" or (self.reconcile == "auto"
                                             and len(self.warehouse_fingerprints) >= RECONCILE_EVERY_RUN_BELOW)

    def fresh_event_sync(self, project_gid: str) -> tuple[str, Optional[str]]:
        try:
            self.client.request_json("/events", {"resource": project_gid})
        except SyncTokenError as exc:
            return project_gid, exc.sync
        except (PremiumRequiredError, ForbiddenError, NotFoundError) as exc:
            self.note_unavailable("/events", exc)
        return project_gid, None

    def project_events(self, project_gid: str, sync: Optional[str]) -> tuple[str, Optional[str], set[str]]:
        """Task gids a project's event stream mentions since ``sync``: added, removed, moved,
        changed or deleted tasks, and tasks whose stories changed.

        Expects pages like ``{"data": [{"action": "deleted", "resource": {"gid": "12",
        "resource_type": "task"}, "parent": {...}}], "sync": "de4774f6...", "has_more": false}``.
        An expired token (412) means events were lost: every task of the project is re-listed.
        """
        touched: set[str] = set()
        if sync is None:
            return project_gid, self.fresh_event_sync(project_gid)[1], touched
        while True:
            try:
                page = self.client.request_json("/events", {"resource": project_gid, "sync": sync})
            except SyncTokenError as exc:
                # Events were lost: whatever the project held before is suspect, whatever it holds
                # now is read again (the listing carries full fields, so no GET per task).
                relisted = self.project_tasks(project_gid, None)
                with self._lock:
                    self.relisted.extend(relisted)
                known = self.warehouse.project_task_gids(project_gid) if self.warehouse is not None else set()
                touched.update(known - {t["gid"] for t in relisted})
                return project_gid, exc.sync, touched
            except (PremiumRequiredError, ForbiddenError, NotFoundError) as exc:
                self.note_unavailable("/events", exc)
                return project_gid, None, touched
            for event in page.get("data") or []:
                resource = event.get("resource") if isinstance(event.get("resource"), dict) else {}
                parent = event.get("parent") if isinstance(event.get("parent"), dict) else {}
                if resource.get("resource_type") == "task" and resource.get("gid"):
                    touched.add(str(resource["gid"]))
                elif parent.get("resource_type") == "task" and parent.get("gid"):
                    touched.add(str(parent["gid"]))
            sync = page.get("sync") or sync
            if not page.get("has_more"):
                return project_gid, sync, touched

    def _reread(self, gids: set[str]) -> Iterator[dict[str, list[dict]]]:
        """Tasks an event mentioned that the cursor listing did not return: re-read each one."""
        if not gids:
            return
        deleted: list[str] = []
        alive: list[dict] = []

        def probe(gid: str) -> tuple[str, Optional[dict]]:
            try:
                return gid, self.client.get(f"/tasks/{gid}", {"opt_fields": TASK_FIELDS})
            except NotFoundError:
                return gid, None

        for gid, task in self.client.map(probe, sorted(gids)):
            if task is None:
                if gid in self.warehouse_fingerprints:
                    deleted.append(gid)
            else:
                alive.append(task)
        if alive:
            yield handle_alive(self, alive)
        if deleted and self.warehouse is not None:
            yield deleted_task_rows(self.warehouse.task_rows(deleted), self.run_started_at)

    def should_reconcile(self, state: dict) -> bool:
        if self.reconcile == "always" or not self.warehouse_fingerprints:
            return True
        if self.reconcile == "never":
            return False
        if len(self.warehouse_fingerprints) < RECONCILE_EVERY_RUN_BELOW:
            return True
        last = parse_ts(state.get("last_reconciled_at"))
        return last is None or datetime.now(timezone.utc) - last >= timedelta(hours=RECONCILE_INTERVAL_HOURS)

    def _confirm_vanished(self, seen: set[str]) -> Iterator[dict[str, list[dict]]]:
        """Known tasks that no listing returned: deleted (404), or alive somewhere we do not list."""
        vanished = sorted(set(self.warehouse_fingerprints) - seen)
        if not vanished:
            return
        deleted: list[str] = []

        def probe(gid: str) -> tuple[str, Optional[dict]]:
            try:
                return gid, self.client.get(f"/tasks/{gid}", {"opt_fields": TASK_FIELDS})
            except NotFoundError:
                return gid, None

        alive = []
        for gid, task in self.client.map(probe, vanished):
            if task is None:
                deleted.append(gid)
            else:
                alive.append(task)
        if alive:
            yield handle_alive(self, alive)
        if deleted and self.warehouse is not None:
            yield deleted_task_rows(self.warehouse.task_rows(deleted), self.run_started_at)

    def _workspace_users(self) -> list[tuple[str, str]]:
        workspaces = self.workspaces()
        return [(w["gid"], u["gid"]) for w in workspaces for u in self.users(w["gid"])]


def _minus_ms(value: Optional[str]) -> Optional[str]:
    parsed = parse_ts(value)
    return format_ts(parsed - timedelta(milliseconds=1)) if parsed else None


def handle_alive(ctx: SyncContext, tasks: list[dict]) -> dict[str, list[dict]]:
    batch: dict[str, list[dict]] = {}
    for task in tasks:
        ctx.changed_gids.add(task["gid"])
        for table, rows in task_rows(task).items():
            batch.setdefault(table, []).extend(rows)
    return batch


class RowBatch:
    """Collects ``{table: rows}`` batches and releases them in large chunks.

    dlt re-validates a table's hints on every yield, which costs more than the rows themselves
    when a yield holds one parent's three subtasks.
    """

    def __init__(self, max_tasks: int = 2_000) -> None:
        self.max_tasks = max_tasks
        self.rows: dict[str, list[dict]] = {}

    def add(self, rows: dict[str, list[dict]]) -> Iterator[dict[str, list[dict]]]:
        for table, table_rows in rows.items():
            self.rows.setdefault(table, []).extend(table_rows)
        if len(self.rows.get("tasks", ())) >= self.max_tasks:
            yield from self.flush()

    def flush(self) -> Iterator[dict[str, list[dict]]]:
        if self.rows:
            rows, self.rows = self.rows, {}
            yield rows


def _gid(ref: Any) -> Optional[str]:
    return ref.get("gid") if isinstance(ref, dict) else ref


def _path_kind(path: str) -> str:
    """``/projects/123/project_statuses`` -> ``/projects/{gid}/project_statuses`` (one note per kind)."""
    return "/".join("{gid}" if part.isdigit() else part for part in path.split("/"))


def _gids(objects: list[dict]) -> list[str]:
    return [o["gid"] for o in objects]


def _without_fields(params: dict) -> dict:
    """Listing parameters as recorded in sync_gaps: what was asked for, not which fields."""
    return {k: v for k, v in params.items() if k != "opt_fields"}
