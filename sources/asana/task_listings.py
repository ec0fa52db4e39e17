"""Reading one listing of tasks whole: ``GET /tasks`` by project, section or assignee, and the premium
task search that takes over where Asana truncates them.

Both change discovery (a project whose event stream expired is listed again) and the crawl (every
project and assignee list it reads) read tasks through these; neither keeps state here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Optional

from .errors import AsanaError, NotFoundError, PremiumRequiredError, TruncatedResultError
from .helpers import format_ts, parse_ts
from .settings import TASK_FIELDS
from .throttle import RateLimiter

SEARCH_PAGE = 100  # the search API's largest page, and it has no next_page


class TaskSearch:
    """``GET /workspaces/{gid}/tasks/search`` (premium), under search's own limit of requests per
    minute besides the token's: one limiter for the run, shared by every search it makes."""

    def __init__(self, client: Any, requests_per_minute: int) -> None:
        self.client = client
        self.limiter = RateLimiter(requests_per_minute)

    def tasks(self, workspace_gid: str, filters: dict, since: Optional[str]) -> list[dict]:
        """Tasks matching ``filters`` (modified after ``since``), read in disjoint ``created_at``
        windows: sorted ascending, ``created_at.after`` moved past each page's last task, since each
        call returns at most ``SEARCH_PAGE`` tasks."""
        found: dict[str, dict] = {}
        after: Optional[str] = None
        while True:
            params = {**filters, "sort_by": "created_at", "sort_ascending": "true", "limit": SEARCH_PAGE,
                      "opt_fields": TASK_FIELDS}
            if since:
                params["modified_at.after"] = since
            if after:
                params["created_at.after"] = after
            self.limiter.acquire()
            page = self.client.get(f"/workspaces/{workspace_gid}/tasks/search", params)
            fresh = [t for t in page if t["gid"] not in found]
            found.update((t["gid"], t) for t in page)
            if len(page) < SEARCH_PAGE or not fresh:
                return list(found.values())
            # Tasks created in the same millisecond as the last one may straddle the boundary;
            # stepping back a millisecond and deduplicating by gid keeps the windows lossless.
            after = _minus_ms(max(t["created_at"] for t in page if t.get("created_at")))

    def answers(self, workspace_gid: str, modified_after: str) -> bool:
        """Whether search answers in this workspace (premium, and this token may use it): one
        ``limit=1`` search."""
        self.limiter.acquire()
        try:
            self.client.request_json(f"/workspaces/{workspace_gid}/tasks/search",
                                     {"modified_at.after": modified_after, "limit": 1})
        except AsanaError:
            return False
        return True


class TaskListings:
    """A project's or an assignee's tasks changed since a time (``None``: all of them), read whole.

    ``listings`` is the run's ``Listings`` (pages, a project's sections and workspace); failures are
    recorded in ``report`` as gaps of the tasks table, and an empty list is returned.
    """

    def __init__(self, listings: Any, report: Any, search: TaskSearch) -> None:
        self.listings = listings
        self.report = report
        self.search = search

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
        """A user's tasks in a workspace changed since ``since``: the only list of tasks in no project."""
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
            found.update((t["gid"], t) for t in self.search.tasks(workspace_gid, search_filters, since))
            return list(found.values())
        except (PremiumRequiredError, TruncatedResultError) as exc:
            self.report.record_gap("/tasks", params, f"truncated by Asana; search API unavailable: {exc.message}",
                                   affects=("tasks",))
            return tasks


def _with_since(params: dict, since: Optional[str]) -> dict:
    return {**params, "modified_since": since} if since else params


def _minus_ms(value: Optional[str]) -> Optional[str]:
    parsed = parse_ts(value)
    return format_ts(parsed - timedelta(milliseconds=1)) if parsed else None
