"""Project event streams: which tasks changed in ways ``modified_since`` cannot show."""

from __future__ import annotations

from typing import Any, Optional

from .errors import UNAVAILABLE, AsanaError, SyncTokenError


class EventStreams:
    """Reads (or starts) each project's Events API stream for one run.

    ``relisted`` holds the tasks of projects whose stream had expired (events were lost, so the
    project was listed again in full); ``known_tasks(project)`` says what the warehouse held there.
    """

    def __init__(self, client: Any, report: Any, list_project: Any, known_tasks: Any) -> None:
        self.client = client
        self.report = report
        self.list_project = list_project
        self.known_tasks = known_tasks
        self.relisted: list[dict] = []

    def start(self, project_gid: str) -> tuple[str, Optional[str]]:
        """A fresh sync token: the first call without one is a 412 that carries it."""
        try:
            self.client.request_json("/events", {"resource": project_gid})
        except SyncTokenError as exc:
            return project_gid, exc.sync
        except UNAVAILABLE as exc:
            self.report.note_unavailable("/events", exc)
        except AsanaError as exc:
            self.report.record_failure("/events", {"resource": project_gid}, exc)
        return project_gid, None

    def read(self, project_gid: str, sync: Optional[str]) -> tuple[str, Optional[str], set[str]]:
        """Task gids a project's stream mentions since ``sync``: added, removed, moved, changed or
        deleted tasks, and tasks whose stories changed.

        Expects pages like ``{"data": [{"action": "deleted", "resource": {"gid": "12",
        "resource_type": "task"}, "parent": {...}}], "sync": "de4774f6...", "has_more": false}``.
        An expired token (412) means events were lost: every task of the project is re-listed.
        A failed read keeps the old token, so the next run reads the same events again.
        """
        touched: set[str] = set()
        if sync is None:
            return project_gid, self.start(project_gid)[1], touched
        while True:
            try:
                page = self.client.request_json("/events", {"resource": project_gid, "sync": sync})
            except SyncTokenError as exc:
                return project_gid, exc.sync, self._relist(project_gid)
            except UNAVAILABLE as exc:
                self.report.note_unavailable("/events", exc)
                return project_gid, None, touched
            except AsanaError as exc:
                self.report.record_failure("/events", {"resource": project_gid}, exc, affects=("tasks",))
                return project_gid, sync, touched
            touched |= event_task_gids(page.get("data") or [])
            sync = page.get("sync") or sync
            if not page.get("has_more"):
                return project_gid, sync, touched

    def _relist(self, project_gid: str) -> set[str]:
        """Whatever the project held before is suspect, whatever it holds now is read again (the
        listing carries full fields, so no GET per task)."""
        relisted = self.list_project(project_gid, None)
        self.relisted.extend(relisted)
        return self.known_tasks(project_gid) - {t["gid"] for t in relisted}


def event_task_gids(events: list[dict]) -> set[str]:
    """The tasks a page of events is about: the resource when it is a task, else its task parent."""
    touched = set()
    for event in events:
        resource = event.get("resource") if isinstance(event.get("resource"), dict) else {}
        parent = event.get("parent") if isinstance(event.get("parent"), dict) else {}
        if resource.get("resource_type") == "task" and resource.get("gid"):
            touched.add(str(resource["gid"]))
        elif parent.get("resource_type") == "task" and parent.get("gid"):
            touched.add(str(parent["gid"]))
    return touched
