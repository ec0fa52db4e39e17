"""What one sync run works with: the client, the run report, the warehouse view and the options,
and the parts that read Asana for the resources (listings, task crawl, deletions)."""

from __future__ import annotations

from typing import Any, Optional

from .client import AsanaClient
from .deletions import Deletions
from .errors import InvalidOptionError
from .listings import Listings, parse_workspaces
from .report import RunReport
from .scope import TeamScope
from .settings import RECONCILE_EVERY_RUN_BELOW, RECONCILE_INTERVAL_HOURS, SEARCH_REQUESTS_PER_MINUTE
from .steps import StepClock
from .tasks import AttachmentPolicy, TaskCrawl
from .warehouse import Warehouse

RECONCILE_MODES = ("auto", "always", "never")
INCREMENTAL_MODES = ("auto", "projects")
ATTACHMENT_MODES = ("auto", "always", "stories", "never")


class SyncContext:
    """Shared by every resource of one source instance.

    ``warehouse`` (a ``Warehouse``, or None for an empty one) is what the destination already
    holds, so the sync can tell changed tasks from unchanged ones and notice deletions.
    """

    def __init__(self, client: AsanaClient, report: Optional[RunReport] = None, warehouse: Optional[Warehouse] = None,
                 workspaces: Any = None, lookback_seconds: int = 300, reconcile: str = "auto",
                 attachments: str = "auto", incremental: str = "auto",
                 search_requests_per_minute: int = SEARCH_REQUESTS_PER_MINUTE,
                 reconcile_below_tasks: int = RECONCILE_EVERY_RUN_BELOW,
                 reconcile_interval_hours: float = RECONCILE_INTERVAL_HOURS, teams: Any = None,
                 exclude_teams: Any = None) -> None:
        if reconcile not in RECONCILE_MODES:
            raise InvalidOptionError(f"reconcile must be auto, always or never, not {reconcile!r}")
        if incremental not in INCREMENTAL_MODES:
            raise InvalidOptionError(f"incremental must be auto or projects, not {incremental!r}")
        if not isinstance(reconcile_interval_hours, (int, float)) or not 0 < reconcile_interval_hours <= 24 * 366:
            raise InvalidOptionError("reconcile_interval_hours must be a number of hours above 0 and at most "
                                     f"a year, not {reconcile_interval_hours!r}")
        if attachments not in ATTACHMENT_MODES:
            raise InvalidOptionError(f"attachments must be auto, always, stories or never, not {attachments!r}")
        self.scope = TeamScope.of(teams, exclude_teams)
        if self.scope.team_only:
            # A team's search would miss its changed subtasks (they are in no project): a run limited
            # to teams finds changes project by project, with the projects' event streams.
            incremental = "projects"
        self.client = client
        # The deadline of the current checkpoint step; no bound until the pipeline starts one.
        self.clock = StepClock()
        self.report = report if report is not None else RunReport()
        self.report.client = client
        self.report.context = self
        self.warehouse = warehouse
        self.reconcile = reconcile
        self.incremental = incremental
        self.search_requests_per_minute = search_requests_per_minute
        self.reconcile_below_tasks = reconcile_below_tasks
        self.reconcile_interval_hours = float(reconcile_interval_hours)
        self.lookback_seconds = lookback_seconds
        self.attachments = AttachmentPolicy(attachments)
        self.listings = Listings(client, self.report, parse_workspaces(workspaces), self.scope)
        self.deletions = Deletions(client, self.listings, self.report, warehouse)
        self.crawl = TaskCrawl(self)
        self._fingerprints: Optional[dict] = None
        self._parents: Optional[set] = None

    @property
    def run_started_at(self) -> str:
        return self.report.run_started_at

    @property
    def warehouse_fingerprints(self) -> dict:
        """Live tasks the warehouse holds in the selected workspaces (and teams): ``{gid: fingerprint}``."""
        if self._fingerprints is None:
            known = self.warehouse.task_fingerprints() if self.warehouse is not None else {}
            wanted = set(self.listings.workspace_gids())
            in_workspaces = {gid: fp for gid, (workspace, fp) in known.items()
                             if workspace in wanted or workspace is None}
            self._fingerprints = self.scope.tasks_in_scope(
                in_workspaces, self.warehouse.team_task_gids if self.warehouse is not None else lambda teams: set())
        return self._fingerprints

    def projects_to_refresh(self, tasks_state: dict) -> Optional[set]:
        """Projects whose own lists this run reads (None: all); see ``ChangeDiscovery.projects_to_refresh``.
        Decided once per run (every per-project resource asks), with the state the run started from."""
        return self.listings.once("projects to refresh", lambda: self.crawl.discovery.projects_to_refresh(tasks_state))

    @property
    def warehouse_parents(self) -> set:
        if self._parents is None:
            parents = self.warehouse.parent_gids() if self.warehouse is not None else set()
            self._parents = parents & set(self.warehouse_fingerprints)
        return self._parents
