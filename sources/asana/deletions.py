"""Deletion detection: Asana lists deleted objects nowhere, so what the warehouse holds and this
run's complete listing did not return is probed with a GET (404 = deleted)."""

from __future__ import annotations

from typing import Any, Optional

from .errors import UNAVAILABLE, AsanaError, NotFoundError
from .settings import PROJECT_FIELDS, TASK_FIELDS, opt_fields


class Deletions:
    def __init__(self, client: Any, listings: Any, report: Any, warehouse: Any) -> None:
        self.client = client
        self.listings = listings
        self.report = report
        self.warehouse = warehouse

    def probe(self, path: str, gids: list[str], fields: str) -> tuple[list[str], list[dict]]:
        """GET each object: (gids Asana answers 404 for, objects still alive). An object that cannot
        be read (403, a failed request) is neither: it is left as it is."""
        def fetch(gid: str) -> tuple[str, Optional[dict], bool]:
            try:
                return gid, self.client.get(path.format(gid=gid), {"opt_fields": fields}), False
            except NotFoundError:
                return gid, None, True
            except UNAVAILABLE:
                return gid, None, False
            except AsanaError as exc:
                self.report.record_failure(path.format(gid=gid), {}, exc)
                return gid, None, False

        gone, alive = [], []
        for gid, obj, is_gone in self.client.map(fetch, gids):
            if is_gone:
                gone.append(gid)
            elif obj is not None:
                alive.append(obj)
        return gone, alive

    def probe_tasks(self, gids: list[str]) -> tuple[list[str], list[dict]]:
        return self.probe("/tasks/{gid}", sorted(gids), TASK_FIELDS)

    def vanished(self, table: str, listed: set[str], probe: str, fields: str) -> tuple[list[dict], list[dict]]:
        """Rows the warehouse holds (live, in the selected workspaces) that this run's listing did
        not return: (last known rows of those Asana answers 404 for, objects still alive)."""
        if self.warehouse is None:
            return [], []
        in_scope = self._scope(table)
        known = {r["gid"]: r for r in self.warehouse.live_rows(table) if r["gid"] not in listed and in_scope(r)}
        if not known:
            return [], []
        gone, alive = self.probe(probe, list(known), fields)
        return [known[gid] for gid in gone], alive

    def of(self, table: str) -> tuple[list[dict], list[dict]]:
        """``vanished`` for projects or portfolios, computed once per run: both the table itself and
        the tables keyed by it (memberships, statuses, items, ...) need the answer."""
        def compute() -> tuple[list[dict], list[dict]]:
            if table == "projects":
                return self.vanished("projects", set(self.listings.project_gids()), "/projects/{gid}", PROJECT_FIELDS)
            return self.vanished("portfolios", {p["gid"] for p in self.listings.portfolios()}, "/portfolios/{gid}",
                                 opt_fields("portfolios"))

        return self.listings.once(("deletions", table), compute)

    def gone(self, table: str) -> list[str]:
        """Parents whose dependent rows must be cleared: deleted this run or marked deleted before."""
        return self.listings.once(("gone", table), lambda: self._gone(table))

    def _gone(self, table: str) -> list[str]:
        if self.warehouse is None:
            return []
        if table == "goals":
            listed = {g["gid"] for g in self.listings.goals()}
            read = set(self.listings.goal_workspaces)
            return sorted(r["gid"] for r in self.warehouse.rows("goals")
                          if r.get("workspace_gid") in read and r["gid"] not in listed)
        deleted, _ = self.of(table)
        before = {r["gid"] for r in self.warehouse.rows(table) if r.get("is_deleted")}
        return sorted({r["gid"] for r in deleted} | before)

    def _scope(self, table: str) -> Any:
        """Whether a warehouse row belongs to the selected workspaces (rows of others are not ours
        to mark deleted)."""
        wanted = set(self.listings.workspace_gids())
        scope = self.listings.scope
        if table == "sections":
            projects = {r["gid"]: r for r in self.warehouse.live_rows("projects")}

            def project_in_scope(project: Optional[dict]) -> bool:
                return (project is not None and project.get("workspace_gid") in wanted
                        and scope.keeps(project.get("team_gid")))
            return lambda row: project_in_scope(projects.get(row.get("project_gid")))
        if table == "projects":
            # A team-limited run answers only for its teams' projects (see ``scope.TeamScope``).
            return lambda row: row.get("workspace_gid") in wanted and scope.keeps(row.get("team_gid"))
        return lambda row: row.get("workspace_gid") in wanted or row.get("workspace_gid") is None
