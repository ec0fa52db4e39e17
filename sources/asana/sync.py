"""What one sync run knows: the client, the selected workspaces, shared listings and the gaps found.

The resources in ``__init__`` are thin; the crawling logic (hierarchy splits, subtasks, cursors)
lives here as plain methods so it can be read and tested on its own.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Optional, Sequence

from .client import AsanaClient, AsanaError, NotFoundError, PremiumRequiredError, TruncatedResultError
from .helpers import cursor_with_lookback, format_ts, max_ts, parse_ts, task_rows
from .settings import PROJECT_FIELDS, SECTION_FIELDS, STORY_FIELDS, TASK_FIELDS, TEAM_FIELDS, WORKSPACE_FIELDS


# The context of the most recent source instance; the pipeline reads run statistics from it.
LAST_CONTEXT: "Optional[SyncContext]" = None


class UnknownWorkspaceError(AsanaError):
    """A workspace asked for in the config is not visible to the token."""


class SyncContext:
    """Listings shared by several resources, fetched once per run and cached."""

    def __init__(self, client: AsanaClient, workspaces: Optional[Sequence[str]] = None,
                 lookback_seconds: int = 300) -> None:
        self.client = client
        self.wanted = [str(w).strip() for w in (workspaces or []) if str(w).strip()]
        self.lookback_seconds = lookback_seconds
        self.run_started_at = format_ts(datetime.now(timezone.utc))
        self.gaps: list[dict] = []
        self._lock = threading.Lock()
        self._workspaces: Optional[list[dict]] = None
        self._teams: Optional[list[dict]] = None
        self._projects: Optional[list[dict]] = None

    # --- shared listings -------------------------------------------------------------------------

    def workspaces(self) -> list[dict]:
        with self._lock:
            if self._workspaces is None:
                visible = self.client.get_all("/workspaces", {"opt_fields": WORKSPACE_FIELDS})
                if self.wanted:
                    by_key = {w["gid"]: w for w in visible} | {w.get("name"): w for w in visible}
                    missing = [w for w in self.wanted if w not in by_key]
                    if missing:
                        names = ", ".join(f"{w['gid']} ({w.get('name')})" for w in visible) or "none"
                        raise UnknownWorkspaceError(
                            f"workspace {', '.join(missing)} is not visible to this token; visible: {names}")
                    chosen = {by_key[w]["gid"]: by_key[w] for w in self.wanted}
                    visible = list(chosen.values())
                self._workspaces = visible
            return self._workspaces

    def teams(self) -> list[dict]:
        workspaces = self.workspaces()
        with self._lock:
            if self._teams is None:
                teams = []
                for workspace in workspaces:
                    if workspace.get("is_organization"):
                        teams.extend(self.client.get_all(f"/workspaces/{workspace['gid']}/teams",
                                                         {"opt_fields": TEAM_FIELDS}))
                self._teams = teams
            return self._teams

    def projects(self) -> list[dict]:
        """Projects per team in organizations (workspace-wide lists time out on big domains),
        per workspace elsewhere."""
        workspaces = self.workspaces()
        teams = self.teams()
        with self._lock:
            if self._projects is None:
                found: dict[str, dict] = {}
                for team in teams:
                    for page in self.client.paginate(f"/teams/{team['gid']}/projects",
                                                     {"opt_fields": PROJECT_FIELDS}):
                        for project in page:
                            found.setdefault(project["gid"], project)
                for workspace in workspaces:
                    if not workspace.get("is_organization"):
                        for page in self.client.paginate("/projects", {"workspace": workspace["gid"],
                                                                       "opt_fields": PROJECT_FIELDS}):
                            for project in page:
                                found.setdefault(project["gid"], project)
                self._projects = list(found.values())
            return self._projects

    def sections_of(self, project_gid: str) -> tuple[str, list[dict]]:
        try:
            return project_gid, self.client.get_all(f"/projects/{project_gid}/sections",
                                                    {"opt_fields": SECTION_FIELDS})
        except NotFoundError:
            return project_gid, []

    def stories_of(self, task_gid: str) -> tuple[str, list[dict]]:
        try:
            return task_gid, self.client.get_all(f"/tasks/{task_gid}/stories", {"opt_fields": STORY_FIELDS})
        except NotFoundError:
            # Deleted between listing and now: nothing to read, reconciliation marks it later.
            return task_gid, []

    def record_gap(self, endpoint: str, parameters: dict, reason: str) -> None:
        with self._lock:
            self.gaps.append({"run_started_at": self.run_started_at, "endpoint": endpoint,
                              "parameters": json.dumps(parameters, sort_keys=True), "reason": reason})

    # --- tasks -----------------------------------------------------------------------------------

    def _list_tasks(self, params: dict) -> list[dict]:
        return self.client.get_all("/tasks", {**params, "opt_fields": TASK_FIELDS})

    def project_tasks(self, project_gid: str, since: Optional[str]) -> list[dict]:
        """Top-level tasks of a project changed since ``since``, split by section if truncated."""
        params = {"project": project_gid}
        if since:
            params["modified_since"] = since
        try:
            return self._list_tasks(params)
        except TruncatedResultError:
            pass
        except NotFoundError:
            return []
        found: dict[str, dict] = {}
        for section in self.sections_of(project_gid)[1]:
            for task in self.section_tasks(project_gid, section["gid"], since):
                found.setdefault(task["gid"], task)
        return list(found.values())

    def section_tasks(self, project_gid: str, section_gid: str, since: Optional[str]) -> list[dict]:
        params = {"section": section_gid}
        if since:
            params["modified_since"] = since
        try:
            return self._list_tasks(params)
        except TruncatedResultError:
            pass
        except NotFoundError:
            return []
        workspace_gid = self._workspace_of_project(project_gid)
        try:
            return self.search_section(workspace_gid, section_gid, since)
        except (PremiumRequiredError, TruncatedResultError) as exc:
            self.record_gap("/tasks", params, f"truncated by Asana; search API unavailable: {exc.message}")
            # What the truncated listing did return is still worth keeping.
            return self._partial(params)

    def _partial(self, params: dict) -> list[dict]:
        rows: list[dict] = []
        try:
            for page in self.client.paginate("/tasks", {**params, "opt_fields": TASK_FIELDS}):
                rows.extend(page)
        except TruncatedResultError:
            pass
        return rows

    def _workspace_of_project(self, project_gid: str) -> str:
        for project in self.projects():
            if project["gid"] == project_gid:
                workspace = project.get("workspace")
                if isinstance(workspace, dict):
                    return workspace["gid"]
        return self.workspaces()[0]["gid"]

    def search_section(self, workspace_gid: str, section_gid: str, since: Optional[str]) -> list[dict]:
        """Premium search in disjoint ``created_at`` windows: sort ascending, move ``created_at.after``.

        The search API has no ``next_page``; each call returns at most ``limit`` tasks.
        """
        found: dict[str, dict] = {}
        after: Optional[str] = None
        path = f"/workspaces/{workspace_gid}/tasks/search"
        while True:
            params = {"sections.any": section_gid, "sort_by": "created_at", "sort_ascending": "true",
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
        """Yield row batches (``{table: rows}``) for every task that changed since the last run."""
        project_cursors: dict = state.setdefault("project_cursors", {})
        assignee_cursors: dict = state.setdefault("assignee_cursors", {})
        parents: dict = state.setdefault("subtask_parents", {})
        subtask_cursor: Optional[str] = state.get("subtask_cursor")
        crawled_parents: set[str] = set()
        pending_parents: list[str] = []

        def handle(tasks: list[dict], is_subtask_list: bool = False) -> dict[str, list[dict]]:
            nonlocal subtask_cursor
            batch: dict[str, list[dict]] = {}
            for task in tasks:
                for table, rows in task_rows(task).items():
                    batch.setdefault(table, []).extend(rows)
                if (task.get("num_subtasks") or 0) > 0:
                    parents[task["gid"]] = 1
                    if task["gid"] not in crawled_parents:
                        pending_parents.append(task["gid"])
                        crawled_parents.add(task["gid"])
                if is_subtask_list:
                    subtask_cursor = max_ts(subtask_cursor, task.get("modified_at"))
            return batch

        def fetch_project(project: dict) -> tuple[str, list[dict]]:
            since = cursor_with_lookback(project_cursors.get(project["gid"]), self.lookback_seconds)
            return project["gid"], self.project_tasks(project["gid"], since)

        for project_gid, project_tasks in self.client.map(fetch_project, self.projects()):
            for task in project_tasks:
                project_cursors[project_gid] = max_ts(project_cursors.get(project_gid), task.get("modified_at"))
            yield handle(project_tasks)

        # Tasks in no project are only reachable through their assignee's task list.
        def fetch_assigned(key: tuple[str, str]) -> tuple[str, list[dict]]:
            workspace_gid, user_gid = key
            cursor_key = f"{workspace_gid}:{user_gid}"
            params = {"assignee": user_gid, "workspace": workspace_gid}
            since = cursor_with_lookback(assignee_cursors.get(cursor_key), self.lookback_seconds)
            if since:
                params["modified_since"] = since
            try:
                return cursor_key, self._list_tasks(params)
            except (NotFoundError, TruncatedResultError) as exc:
                self.record_gap("/tasks", params, f"could not list assigned tasks: {exc.message}")
                return cursor_key, []

        for cursor_key, assigned in self.client.map(fetch_assigned, self._workspace_users()):
            for task in assigned:
                assignee_cursors[cursor_key] = max_ts(assignee_cursors.get(cursor_key), task.get("modified_at"))
            orphans = [t for t in assigned if not t.get("memberships") and not t.get("parent")]
            if orphans:
                yield handle(orphans)

        # Subtasks: parents found in this run are crawled in full; parents known from earlier runs
        # are re-read because a subtask's change never bumps its parent, and only their subtasks
        # that changed since the subtask cursor are kept.
        known_before = {gid for gid in parents if gid not in crawled_parents}
        since_subtasks = cursor_with_lookback(subtask_cursor, self.lookback_seconds)
        pending_parents.extend(sorted(known_before))
        crawled_parents.update(known_before)
        while pending_parents:
            wave, pending_parents[:] = list(pending_parents), []
            for parent_gid, subtasks in self.client.map(self.subtasks_of, wave):
                if not subtasks:
                    parents.pop(parent_gid, None)
                    continue
                if parent_gid in known_before:
                    subtasks = [t for t in subtasks if _changed(t, since_subtasks) or t["gid"] not in parents
                                and (t.get("num_subtasks") or 0) > 0]
                if subtasks:
                    yield handle(subtasks, is_subtask_list=True)
        state["subtask_cursor"] = subtask_cursor

    def _workspace_users(self) -> list[tuple[str, str]]:
        pairs = []
        for workspace in self.workspaces():
            for page in self.client.paginate("/users", {"workspace": workspace["gid"], "opt_fields": "gid"}):
                pairs.extend((workspace["gid"], u["gid"]) for u in page)
        return pairs


def _changed(task: dict, since: Optional[str]) -> bool:
    modified_at = parse_ts(task.get("modified_at"))
    return since is None or modified_at is None or modified_at >= parse_ts(since)


def _minus_ms(value: Optional[str]) -> Optional[str]:
    parsed = parse_ts(value)
    return format_ts(parsed - timedelta(milliseconds=1)) if parsed else None
