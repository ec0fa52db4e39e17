"""``asana-sync check``: is everything in place for a sync, and what would a first full sync cost?

A few dozen spec-valid GETs, paced by the configured rate limit:

- the token: ``GET /users/me`` (401 -> exit 3);
- the workspaces it can read (``GET /workspaces``, then ``GET /workspaces/{gid}`` each, as a sync
  does: a workspace that disabled the app answers 401 and is reported), whether each is an
  organization, and whether its domain is premium: one ``GET /workspaces/{gid}/tasks/search`` with
  ``limit=1`` per workspace (402 = not premium; search allows 60 calls a minute, so never more);
- the listings a sync starts from: teams (organizations), projects (per team, or per workspace),
  users (``GET /users?workspace=``, by gid);
- a sample of the projects' task lists (``GET /tasks?project=&opt_fields=num_subtasks``; evenly
  spread over the projects, at most ``sample_pages`` pages of 100 each), because Asana offers no
  cheap task count (``GET /projects/{gid}/task_counts`` is a costly request that can exhaust the
  cost quota: BEHAVIOR.md);
- the destination, with the same check ``run`` makes first (``preflight.check_destination``).

The first full sync is then estimated from what a sync requests (measured on the simulator's demo
organization, docs/benchmarks.md): one stories request per task and subtask, one
subtask listing per task that has subtasks, attachment reads for up to ~1,000 tasks (until
``attachments=auto`` trusts the stories), one page per 100 tasks of each project plus four requests
per project (sections, memberships, statuses, brief), one listing per user per workspace (tasks in
no project), and about 30 small listings per workspace. Time tracking entries (one request per
task that has some) are not estimated. Minutes = requests / requests per minute.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from sources.asana.client import AsanaClient
from sources.asana.errors import UNAVAILABLE, AsanaError, PremiumRequiredError
from sources.asana.helpers import gid_of
from sources.asana.listings import Listings
from sources.asana.options import parse_list
from sources.asana.report import RunReport

from ..errors import EXIT_API, EXIT_AUTH, EXIT_CONFIG, EXIT_DESTINATION, EXIT_OK, EXIT_UNREACHABLE, SyncError, explain
from ..sync.configuration import resolve_options
from ..warehouse.binding import warehouse_exists
from ..warehouse.locks import run_in_progress
from ..warehouse.preflight import check_destination
from ..warehouse.runtime import make_pipeline

FREE_REQUESTS_PER_MINUTE = 150
PAID_REQUESTS_PER_MINUTE = 1500
SAMPLE_PROJECTS = 10
SAMPLE_PAGES = 10
ATTACHMENT_LEARNING_TASKS = 1000
REQUESTS_PER_PROJECT = 4
REQUESTS_PER_WORKSPACE = 30


@dataclass
class WorkspaceCheck:
    gid: str
    name: str
    is_organization: bool
    premium: Optional[bool] = None
    premium_note: str = ""
    teams: int = 0
    projects: int = 0
    users: int = 0
    sampled_projects: int = 0
    sampled_tasks: int = 0          # top-level tasks listed in the sampled projects
    sampled_subtasks: int = 0       # their num_subtasks, summed
    sampled_parents: int = 0        # of them, tasks with subtasks
    capped_projects: int = 0        # sampled projects with more tasks than the pages read
    estimated_tasks: int = 0
    estimated_requests: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class CheckReport:
    base_url: str = ""
    user: dict = field(default_factory=dict)
    workspaces: list[WorkspaceCheck] = field(default_factory=list)
    refused: dict = field(default_factory=dict)        # workspace or listing -> reason
    unavailable: dict = field(default_factory=dict)    # listings this token cannot read (skipped by a sync)
    destination: str = ""
    destination_ok: bool = False
    destination_note: str = ""
    requests_per_minute: float = PAID_REQUESTS_PER_MINUTE
    requests_made: int = 0
    seconds: float = 0.0
    problems: list[SyncError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def estimated_tasks(self) -> int:
        return sum(w.estimated_tasks for w in self.workspaces)

    @property
    def estimated_requests(self) -> int:
        return sum(w.estimated_requests for w in self.workspaces)

    @property
    def estimated_minutes(self) -> float:
        return self.estimated_requests / max(self.requests_per_minute, 1e-9)

    @property
    def exit_code(self) -> int:
        """The most telling problem's code: configuration, token, destination, then Asana."""
        codes = [p.exit_code for p in self.problems]
        for code in (EXIT_CONFIG, EXIT_AUTH, EXIT_DESTINATION, EXIT_UNREACHABLE, EXIT_API):
            if code in codes:
                return code
        return codes[0] if codes else EXIT_OK

    def method(self, sample_pages: int = SAMPLE_PAGES) -> str:
        sampled = sum(w.sampled_projects for w in self.workspaces)
        projects = sum(w.projects for w in self.workspaces)
        capped = sum(w.capped_projects for w in self.workspaces)
        where = "every project" if sampled == projects else f"{sampled} of {projects} projects, evenly spread"
        text = (f"tasks listed in {where} (top-level tasks plus their num_subtasks; at most "
                f"{sample_pages * 100:,} tasks read per project), scaled to all projects")
        if capped:
            text += f"; {capped} sampled project(s) may have more, so the task figure may be low"
        return (text + "; tasks in no project and subtasks of subtasks are not counted, a task in several projects counts "
                "in each. Requests: one per task "
                "(stories), one per task with subtasks, up to ~1,000 attachment reads, a page per 100 tasks and "
                "4 per project, one per user per workspace, ~30 per workspace; time tracking not included")

    def as_dict(self) -> dict:
        return {
            "ok": not self.problems, "exit_code": self.exit_code, "base_url": self.base_url, "user": self.user,
            "workspaces": [w.as_dict() for w in self.workspaces], "refused": self.refused,
            "unavailable": self.unavailable, "destination": self.destination, "destination_ok": self.destination_ok,
            "estimate": {"tasks": self.estimated_tasks, "requests": self.estimated_requests,
                         "requests_per_minute": self.requests_per_minute,
                         "minutes": round(self.estimated_minutes, 1), "method": self.method()},
            "problems": [{"exit_code": p.exit_code, "message": str(p)} for p in self.problems],
            "warnings": self.warnings, "requests_made": self.requests_made,
        }


def _holds(destination: Any) -> str:
    """What an existing warehouse holds already: a run there is incremental, not a first sync."""
    try:
        with make_pipeline(destination, read_only=True).sql_client() as client:
            tasks = client.execute_sql(f"select count(*) from {client.make_qualified_table_name('tasks')}")[0][0]
    except Exception:  # noqa: BLE001 - no tasks table yet
        return ""
    return f"; it holds {tasks:,} tasks already, so a run there is incremental (the estimate is for a first sync)"


class _Skip(Exception):
    pass


def estimate_requests(tasks: int, parents: int, top_level: int, projects: int, users: int) -> int:
    return (tasks + parents + min(tasks, ATTACHMENT_LEARNING_TASKS) + math.ceil(top_level / 100)
            + projects * (1 + REQUESTS_PER_PROJECT) + users + math.ceil(max(users, 1) / 100)
            + REQUESTS_PER_WORKSPACE)


def _spread(items: list, count: int) -> list:
    """``count`` items evenly spread over ``items`` (all of them when there are no more)."""
    if len(items) <= count:
        return list(items)
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)] if count > 1 else items[:1]


def run_check(destination: Any, source_options: Optional[dict] = None, workspaces: Sequence[str] = (),
              sample_projects: int = SAMPLE_PROJECTS, sample_pages: int = SAMPLE_PAGES,
              say: Optional[Callable[[str], None]] = None) -> CheckReport:
    """Check the token, workspaces and destination and estimate a first full sync; never raises for
    what it checks (``report.problems`` and ``report.exit_code`` say what is wrong), only for
    configuration that makes checking impossible (exit 2)."""
    say = say or (lambda message: None)
    started = time.monotonic()
    options = resolve_options(source_options)
    report = CheckReport(base_url=options.base_url, requests_per_minute=float(options.requests_per_minute))

    # The destination first: it needs no request, and a problem there is worth knowing either way.
    report.destination = destination.describe()
    say("checking the destination")
    try:
        if run_in_progress(destination):
            # The run holds the warehouse (a DuckDB file is locked while it loads): that is fine.
            report.destination_ok = True
            report.destination_note = "a run is in progress against it now"
            raise _Skip()
        check_destination(destination, write=True)
        report.destination_ok = True
        if not warehouse_exists(destination):
            report.destination_note = "the file does not exist yet; a run creates it"
        else:
            report.destination_note = "reachable and writable" + _holds(destination)
    except _Skip:
        pass
    except SyncError as error:
        report.problems.append(error)

    run = RunReport()
    client = AsanaClient(options.access_token, base_url=options.base_url,
                         requests_per_minute=options.requests_per_minute,
                         max_concurrency=min(options.max_concurrency, 4), page_size=100,
                         retry=options.retry_policy())
    try:
        _check_asana(client, run, report, list(parse_list(list(workspaces)) or options.workspaces),
                     sample_projects, sample_pages, say)
    except (AsanaError, SyncError) as error:
        report.problems.append(explain(error))
    finally:
        report.requests_made = client.stats.requests
        client.close()
    report.seconds = time.monotonic() - started
    return report


def _check_asana(client: Any, run: Any, report: CheckReport, wanted: list[str], sample_projects: int,
                 sample_pages: int, say: Callable[[str], None]) -> None:
    say("checking the token")
    me = client.get("/users/me", {"opt_fields": "name,email"})
    report.user = {"gid": me.get("gid"), "name": me.get("name"), "email": me.get("email")}
    listings = Listings(client, run, wanted)
    say("listing workspaces")
    readable = listings.workspaces()
    for gap in run.failures:
        report.refused[gap["endpoint"]] = gap["reason"]
    if not readable:
        report.problems.append(SyncError("the token can read no workspace" + (
            f" ({len(report.refused)} refused it)" if report.refused else ""), EXIT_API))
        return
    say("listing teams and projects")
    teams = listings.teams()
    projects = listings.projects()
    for ws in readable:
        report.workspaces.append(_check_workspace(client, ws, teams, projects, sample_projects, sample_pages,
                                                  report, say))
    _summarize(run, report)


def _check_workspace(client: Any, ws: dict, teams: list, projects: list, sample_projects: int, sample_pages: int,
                     report: CheckReport, say: Callable[[str], None]) -> WorkspaceCheck:
    """One workspace: organization or not, premium or not, its teams, projects and users, and the
    first full sync's estimate from a sample of its projects' task lists."""
    check = WorkspaceCheck(gid=ws["gid"], name=ws.get("name") or "", is_organization=bool(ws.get("is_organization")))
    # One search call per workspace: search allows 60 calls a minute.
    say(f"probing premium search in {check.name}")
    try:
        client.get(f"/workspaces/{check.gid}/tasks/search", {"limit": 1, "opt_fields": "gid"})
        check.premium = True
    except PremiumRequiredError:
        check.premium = False
    except AsanaError as error:
        check.premium_note = f"search answered HTTP {error.status}" if error.status else str(error)
    check.teams = sum(1 for t in teams if gid_of(t.get("organization")) == check.gid) if check.is_organization \
        else 0
    mine = sorted((p for p in projects if gid_of(p.get("workspace")) == check.gid), key=lambda p: p["gid"])
    check.projects = len(mine)
    say(f"counting users in {check.name}")
    try:
        check.users = sum(len(page) for page in client.paginate("/users", {"workspace": check.gid,
                                                                           "opt_fields": "gid"}))
    except AsanaError as error:
        report.refused[f"/users?workspace={check.gid}"] = str(error)
    sample = _spread(mine, sample_projects)
    say(f"sampling tasks of {len(sample)} of {len(mine)} projects in {check.name}")
    for project in sample:
        _sample_project(client, check, project["gid"], sample_pages, report)
    if check.sampled_projects:
        scale = check.projects / check.sampled_projects
        top = round(check.sampled_tasks * scale)
        check.estimated_tasks = round((check.sampled_tasks + check.sampled_subtasks) * scale)
        parents = round(check.sampled_parents * scale)
    else:
        top = parents = 0
    check.estimated_requests = estimate_requests(check.estimated_tasks, parents, top, check.projects, check.users)
    return check


def _summarize(run: Any, report: CheckReport) -> None:
    """Refused listings become one problem; a free domain above 150 requests/min one warning."""
    for gap in run.failures:
        report.refused.setdefault(gap["endpoint"], gap["reason"])
    for path, reason in run.unavailable.items():
        report.unavailable[path] = reason
    if report.refused:
        first = next(iter(report.refused.items()))
        report.problems.append(SyncError(f"{len(report.refused)} workspace(s) or listing(s) refused or failed, e.g. "
                                         f"{first[0]}: {first[1]}; a sync would record them in sync_gaps and exit 5",
                                         EXIT_API))
    free = [w for w in report.workspaces if w.premium is False]
    if free and report.requests_per_minute > FREE_REQUESTS_PER_MINUTE:
        report.warnings.append(
            f"{', '.join(w.name for w in free)}: not premium (search answered 402); free Asana domains allow "
            f"{FREE_REQUESTS_PER_MINUTE} requests/min, the configured limit is {report.requests_per_minute:,.0f}: "
            f"set requests_per_minute = {FREE_REQUESTS_PER_MINUTE} (or --requests-per-minute {FREE_REQUESTS_PER_MINUTE})")


def _sample_project(client: Any, check: WorkspaceCheck, project_gid: str, pages: int, report: CheckReport) -> None:
    read = 0
    try:
        for page in client.paginate("/tasks", {"project": project_gid, "opt_fields": "num_subtasks"}):
            check.sampled_tasks += len(page)
            for task in page:
                subtasks = int(task.get("num_subtasks") or 0)
                check.sampled_subtasks += subtasks
                check.sampled_parents += subtasks > 0
            read += 1
            if read >= pages:
                check.capped_projects += 1  # it may have more: counted as a lower bound
                break
    except UNAVAILABLE:
        return  # a project the token cannot open: the sync skips it too
    except AsanaError as error:
        report.refused[f"/tasks?project={project_gid}"] = str(error)
        return
    check.sampled_projects += 1
