"""Listings several resources share (workspaces, teams, projects, users, portfolios, goals), read
once per run, and the three ways of reading a listing: whole, cut-tolerant, and optional."""

from __future__ import annotations

import threading
from datetime import date, datetime, timezone
from typing import Any, Callable, NamedTuple, Optional

from .client import AsanaClient
from .errors import (
    UNAVAILABLE,
    AsanaError,
    AuthError,
    ForbiddenError,
    NotFoundError,
    TruncatedResultError,
    UnknownWorkspaceError,
)
from .helpers import DateWindow, gid_of, plan_date_windows, split_date_window
from .report import RunReport
from .scope import TeamScope
from .settings import (
    PROJECT_FIELDS,
    SECTION_FIELDS,
    TEAM_FIELDS,
    TIME_TRACKING_DETAIL_FIELDS,
    TIME_TRACKING_FIRST_DAY,
    TIME_TRACKING_LIST_FIELDS,
    USER_FIELDS,
    WORKSPACE_FIELDS,
    opt_fields,
)


class TimeTrackingRead(NamedTuple):
    """What ``Listings.time_tracking_entries`` read from one workspace."""

    entries: list[dict]
    complete: bool  # every entry of the workspace, so the ones missing from it were deleted
    plan: Optional[dict]  # the windows to start from next run (``helpers.plan_date_windows``); None if incomplete


class Listings:
    """Reads listings for one run; shared ones are fetched once, by whichever thread asks first."""

    def __init__(self, client: AsanaClient, report: RunReport, wanted: list[str],
                 scope: Optional[TeamScope] = None) -> None:
        self.client = client
        self.report = report
        self.wanted = wanted
        self.scope = scope if scope is not None else TeamScope()
        self.goal_workspaces: list[str] = []
        self._cache: dict[Any, Any] = {}
        self._key_locks: dict[Any, threading.RLock] = {}
        self._lock = threading.Lock()
        self._prefetching = False

    def once(self, key: Any, fetch: Callable[[], Any]) -> Any:
        """``fetch()`` the first time ``key`` is asked for; later callers wait for and share that
        answer. Only callers of the same key wait on each other, and no lock is held across keys."""
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

    def prefetch(self) -> None:
        """Start reading the listings several resources share (projects, portfolios, goals, each
        workspace's users and memberships) side by side, in the background: dlt extracts resources
        one after another, and at Asana's latency their serial pages would leave the rate limit
        unused. A resource asking for one waits for it (``once``); a failure is left for the
        resource's own call to meet and record."""
        with self._lock:
            if self._prefetching:
                return
            self._prefetching = True
        jobs: list[Callable[[], Any]] = [self.projects, self.portfolios, self.goals]
        for workspace_gid in self.workspace_gids():
            jobs += [lambda w=workspace_gid: self.user_listing(w), lambda w=workspace_gid: self.workspace_memberships(w)]
        for job in jobs:
            threading.Thread(target=_quietly, args=(job,), daemon=True, name="asana-prefetch").start()

    # --- reading one listing ----------------------------------------------------------------------

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
            self.report.record_gap(path, params, f"truncated by Asana and not splittable: {cut.message}")
        return items, cut is None

    def optional_list(self, path: str, params: dict, affects: tuple[str, ...] = ()) -> Optional[list[dict]]:
        """A listing that may not exist for this token (premium feature, no access, deprecated) or
        may fail: None when unavailable, failed or truncated (the caller keeps what it had)."""
        try:
            items, complete = self.listing(path, params)
        except UNAVAILABLE as exc:
            self.report.note_unavailable(path, exc)
            return None
        except AsanaError as exc:
            self.report.record_failure(path, params, exc, affects)
            return None
        return items if complete else None

    def optional_get(self, path: str, params: dict) -> Optional[dict]:
        try:
            return self.client.get(path, params)
        except UNAVAILABLE as exc:
            self.report.note_unavailable(path, exc)
        except AsanaError as exc:
            self.report.record_failure(path, params, exc)
        return None

    # --- the shared listings ----------------------------------------------------------------------

    def workspaces(self) -> list[dict]:
        return self.once("workspaces", self._fetch_workspaces)

    def _fetch_workspaces(self) -> list[dict]:
        # The run's first request: a rejected token here stops the run (exit 3).
        visible = self.client.get_all("/workspaces", {"opt_fields": WORKSPACE_FIELDS})
        selected = self._selected(visible)
        if self.scope.team_only:
            # Only the workspaces the covered teams belong to.
            homes = {gid_of(team.get("organization")) for team in self._named_teams()}
            selected = [w for w in selected if w["gid"] in homes]
        return self._reachable(selected)

    def _named_teams(self) -> list[dict]:
        """The teams a team-limited run covers, read one by one: a team this token cannot see stops
        the run before anything is loaded, as an unknown workspace does."""
        def fetch() -> list[dict]:
            found = []
            for team_gid in sorted(self.scope.only):
                try:
                    found.append(self.client.get(f"/teams/{team_gid}", {"opt_fields": TEAM_FIELDS}))
                except (NotFoundError, ForbiddenError):
                    raise UnknownWorkspaceError(f"team {team_gid} is not visible to this token") from None
            return found

        return self.once("named teams", fetch)

    def _reachable(self, workspaces: list[dict]) -> list[dict]:
        """The workspaces that let this token in. A workspace answering 401 (it disabled the app)
        or 403 is skipped for this run with one gap, rather than failing every listing in it."""
        def probe(workspace: dict) -> tuple[str, Optional[AsanaError]]:
            try:
                self.client.get(f"/workspaces/{workspace['gid']}", {"opt_fields": "gid"})
                return workspace["gid"], None
            except (AuthError, ForbiddenError) as exc:
                return workspace["gid"], exc

        refused = {gid: exc for gid, exc in self.client.map(probe, workspaces) if exc is not None}
        for gid, exc in refused.items():
            self.report.record_failure(f"/workspaces/{gid}", {}, exc)
        return [w for w in workspaces if w["gid"] not in refused]

    def _selected(self, visible: list[dict]) -> list[dict]:
        if not self.wanted:
            return visible
        by_key = {w["gid"]: w for w in visible} | {w.get("name"): w for w in visible}
        missing = [w for w in self.wanted if w not in by_key]
        if missing:
            names = ", ".join(f"{w['gid']} ({w.get('name')})" for w in visible) or "none"
            raise UnknownWorkspaceError(f"workspace {', '.join(missing)} is not visible to this token; visible: {names}")
        return list({by_key[w]["gid"]: by_key[w] for w in self.wanted}.values())

    def workspace_gids(self) -> list[str]:
        return [w["gid"] for w in self.workspaces()]

    def teams(self) -> list[dict]:
        """The teams of organization workspaces this run covers (see ``scope.TeamScope``)."""
        if self.scope.team_only:
            return self._named_teams()
        return [team for team in self._workspace_teams() if self.scope.keeps(team["gid"])]

    def _workspace_teams(self) -> list[dict]:
        return self.once("teams", lambda: [
            team for w in self.workspaces() if w.get("is_organization")
            for team in self.optional_list(f"/workspaces/{w['gid']}/teams", {"opt_fields": TEAM_FIELDS},
                                           affects=("projects", "tasks")) or []])

    def projects(self) -> list[dict]:
        """Projects per team in organizations (workspace-wide lists time out on big domains),
        per workspace elsewhere."""
        return self.once("projects", self._fetch_projects)

    def _fetch_projects(self) -> list[dict]:
        lists = [(f"/teams/{team['gid']}/projects", {}) for team in self.teams()]
        if not self.scope.team_only:
            lists += [("/projects", {"workspace": w["gid"]}) for w in self.workspaces()
                      if not w.get("is_organization")]

        def read(path_params: tuple[str, dict]) -> list[dict]:
            # A team the token cannot open (403/404) has no projects to read, not a failure; a cut
            # listing keeps what it returned.
            path, params = path_params
            try:
                return self.listing(path, {**params, "opt_fields": PROJECT_FIELDS})[0]
            except UNAVAILABLE as exc:
                self.report.note_unavailable(path, exc)
            except AsanaError as exc:
                self.report.record_failure(path, params, exc, affects=("projects", "tasks"))
            return []

        found: dict[str, dict] = {}
        # In the listings' order (client.map yields as they finish), so every run sees the same order.
        for items in [read(lst) for lst in lists] if len(lists) < 2 else self._in_order(read, lists):
            for project in items:
                found.setdefault(project["gid"], project)
        return list(found.values())

    def _in_order(self, fn: Callable[[Any], Any], items: list) -> list:
        """``fn`` over ``items`` concurrently, the results in the items' order."""
        results = dict(self.client.map(lambda pair: (pair[0], fn(pair[1])), list(enumerate(items))))
        return [results[index] for index in range(len(items))]

    def project_gids(self) -> list[str]:
        return [p["gid"] for p in self.projects()]

    def workspace_of_project(self, project_gid: str) -> str:
        for project in self.projects():
            if project["gid"] == project_gid and gid_of(project.get("workspace")):
                return gid_of(project["workspace"])
        return self.workspaces()[0]["gid"]

    def sections_of(self, project_gid: str) -> tuple[str, Optional[list[dict]]]:
        """A project's sections; None when they could not be read (the gap is recorded)."""
        try:
            return project_gid, self.client.get_all(f"/projects/{project_gid}/sections",
                                                    {"opt_fields": SECTION_FIELDS})
        except NotFoundError:
            return project_gid, []
        except AsanaError as exc:
            self.report.record_failure(f"/projects/{project_gid}/sections", {}, exc, affects=("sections",))
            return project_gid, None

    def users(self, workspace_gid: str) -> list[dict]:
        """Every user of a workspace, from ``GET /users?workspace=`` (sorted by gid, paginated)."""
        return self.user_listing(workspace_gid)[0]

    def user_listing(self, workspace_gid: str) -> tuple[list[dict], bool]:
        """``users`` and whether Asana returned all of them (a cut or failed list records a gap)."""
        def fetch() -> tuple[list[dict], bool]:
            params = {"workspace": workspace_gid, "opt_fields": USER_FIELDS}
            try:
                return self.listing("/users", params)
            except AsanaError as exc:
                self.report.record_failure("/users", params, exc)
                return [], False

        return self.once(("users", workspace_gid), fetch)

    def workspace_users(self) -> list[tuple[str, str]]:
        return [(w, u["gid"]) for w in self.workspace_gids() for u in self.users(w)]

    def workspace_memberships(self, workspace_gid: str) -> Optional[list[dict]]:
        return self.once(("workspace_memberships", workspace_gid), lambda: self.optional_list(
            f"/workspaces/{workspace_gid}/workspace_memberships", {"opt_fields": opt_fields("workspace_memberships")}))

    def portfolios(self) -> list[dict]:
        """Every portfolio of each organization the token can read, and those nested in them (none
        in a team-limited run: portfolios belong to the workspace)."""
        if self.scope.team_only:
            return []
        return self.once("portfolios", self._fetch_portfolios)

    def _fetch_portfolios(self) -> list[dict]:
        found: dict[str, dict] = {}
        for workspace in self.workspaces():
            if not workspace.get("is_organization"):
                continue
            pending = list(self._top_portfolios(workspace["gid"]))
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

    def _top_portfolios(self, workspace_gid: str) -> list[dict]:
        """Without ``owner`` a service account lists every portfolio of the workspace (asana_oas.yaml);
        a user token must name an owner, so where that is refused the token's own are listed."""
        fields = opt_fields("portfolios")
        params = {"workspace": workspace_gid, "opt_fields": fields}
        try:
            items, _ = self.listing("/portfolios", params)
            return items
        except UNAVAILABLE as exc:
            self.report.note_unavailable("/portfolios", exc)
            return []
        except AsanaError as exc:
            if exc.status != 400:
                self.report.record_failure("/portfolios", params, exc)
                return []
        return self.optional_list("/portfolios", {**params, "owner": "me"}) or []

    def portfolio_items(self, portfolio_gid: str) -> Optional[list[dict]]:
        return self.once(("portfolio_items", portfolio_gid), lambda: self.optional_list(
            f"/portfolios/{portfolio_gid}/items", {"opt_fields": "gid,resource_type"}))

    def goals(self) -> list[dict]:
        """Goals per workspace; a truncated workspace list is read per team instead (none in a
        team-limited run: goals belong to the workspace)."""
        if self.scope.team_only:
            return []
        return self.once("goals", self._fetch_goals)

    def _fetch_goals(self) -> list[dict]:
        goals: dict[str, dict] = {}
        for workspace in self.workspaces():
            params = {"workspace": workspace["gid"], "opt_fields": opt_fields("goals")}
            try:
                listed = self.client.get_all("/goals", params)
            except UNAVAILABLE as exc:
                self.report.note_unavailable("/goals", exc)
                continue
            except TruncatedResultError:
                # Goals belong to the workspace: every team's, whichever teams this run covers.
                listed = [goal for team in self._workspace_teams()
                          if gid_of(team.get("organization")) == workspace["gid"]
                          for goal in self.optional_list("/goals", {"team": team["gid"],
                                                                    "opt_fields": opt_fields("goals")}) or []]
            except AsanaError as exc:
                self.report.record_failure("/goals", params, exc)
                continue
            self.goal_workspaces.append(workspace["gid"])
            for goal in listed:
                goal["_workspace_gid"] = workspace["gid"]
                goals.setdefault(goal["gid"], goal)
        return list(goals.values())

    # --- time tracking ----------------------------------------------------------------------------

    def time_tracking_entries(self, workspace_gid: str, plan: Optional[dict] = None) -> Optional[TimeTrackingRead]:
        """A workspace's time tracking entries, whether that is all of them, and the windows they
        were read in; None when the workspace offers none to this token.

        Asana requires an ``entered_on`` bound when listing by workspace, so the listing is read in
        date windows: those of ``plan`` (the previous run's, ``helpers.plan_date_windows``) or one
        open-ended window, each split in two whenever Asana truncates it, down to single days (a
        truncated single day keeps what was read and records the gap).
        """
        found: dict[str, dict] = {}
        complete = True
        today = datetime.now(timezone.utc).date()
        read: list[tuple[DateWindow, int]] = []
        cut_after = int((plan or {}).get("cut_after") or 0)
        pending = plan_date_windows(plan, date.fromisoformat(TIME_TRACKING_FIRST_DAY))[::-1]
        while pending:
            window = pending.pop()
            params = {"workspace": workspace_gid, "entered_on_start_date": window[0].isoformat(),
                      "opt_fields": TIME_TRACKING_LIST_FIELDS}
            if window[1] is not None:
                params["entered_on_end_date"] = window[1].isoformat()
            try:
                items, cut = self.read_all("/time_tracking_entries", params)
            except UNAVAILABLE as exc:
                self.report.note_unavailable("/time_tracking_entries", exc)
                return None
            except AsanaError as exc:
                self.report.record_failure("/time_tracking_entries", params, exc)
                return TimeTrackingRead(list(found.values()), False, None)
            found.update((item["gid"], item) for item in items)
            if cut is None:
                read.append((window, len(items)))
                continue
            cut_after = max(cut_after, len(items))
            halves = split_date_window(window, [item.get("entered_on") for item in items], today)
            if halves is None:
                complete = False
                self.report.record_gap("/time_tracking_entries", params,
                                       f"truncated by Asana within a single day: {cut.message}")
            else:
                pending.extend(halves[::-1])
        read.sort(key=lambda wc: wc[0][0])
        next_plan = {"windows": [[w[0].isoformat(), w[1].isoformat() if w[1] else None, n] for w, n in read],
                     "cut_after": cut_after} if complete else None
        return TimeTrackingRead(list(found.values()), complete, next_plan)

    def time_tracking_detail(self, entry_gid: str) -> tuple[str, Optional[dict]]:
        """An entry's task and created_at, which the workspace listing does not offer."""
        try:
            return entry_gid, self.client.get(f"/time_tracking_entries/{entry_gid}",
                                              {"opt_fields": TIME_TRACKING_DETAIL_FIELDS})
        except NotFoundError:
            return entry_gid, None  # deleted since it was listed
        except AsanaError as exc:
            self.report.record_failure(f"/time_tracking_entries/{entry_gid}", {}, exc)
            return entry_gid, None


def _quietly(job: Callable[[], Any]) -> None:
    try:
        job()
    except BaseException:  # noqa: BLE001 - the resource that needs the listing meets the error itself
        pass
