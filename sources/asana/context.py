"""What one sync run works with: the client, the run report, the warehouse view and the options,
and the parts that read Asana for the resources (listings, task crawl, deletions)."""

from __future__ import annotations

from typing import Any, Optional

from .client import AsanaClient
from .deletions import Deletions
from .listings import Listings
from .options import SourceOptions
from .report import RunReport
from .scope import TeamScope
from .steps import StepClock
from .tasks import AttachmentPolicy, TaskCrawl
from .warehouse import Warehouse


class SyncContext:
    """Shared by every resource and every checkpoint step of one run; the pipeline builds it
    (``SyncContext.connect``) and hands it to each step's source.

    ``warehouse`` (a ``Warehouse``, or None for an empty one) is what the destination already
    holds, so the sync can tell changed tasks from unchanged ones and notice deletions.
    """

    def __init__(self, client: AsanaClient, options: SourceOptions, report: Optional[RunReport] = None,
                 warehouse: Optional[Warehouse] = None) -> None:
        self.options = options
        self.scope = TeamScope.of(options.teams, options.exclude_teams)
        # A team's search would miss its changed subtasks (they are in no project): a run limited
        # to teams finds changes project by project, with the projects' event streams.
        incremental = "projects" if self.scope.team_only else options.incremental
        self.client = client
        # The deadline of the current checkpoint step; no bound until the pipeline starts one.
        self.clock = StepClock()
        self.report = report if report is not None else RunReport()
        self.report.client = client
        self.warehouse = warehouse
        self.reconcile = options.reconcile
        self.incremental = incremental
        self.search_requests_per_minute = options.search_requests_per_minute
        self.reconcile_below_tasks = options.reconcile_below_tasks
        self.reconcile_interval_hours = float(options.reconcile_interval_hours)
        self.lookback_seconds = options.lookback_seconds
        self.attachments = AttachmentPolicy(options.attachments)
        self.listings = Listings(client, self.report, list(options.workspaces), self.scope)
        self.deletions = Deletions(client, self.listings, self.report, warehouse)
        self.crawl = TaskCrawl(self)
        self._fingerprints: Optional[dict] = None
        self._parents: Optional[set] = None

    @classmethod
    def connect(cls, options: SourceOptions, report: Optional[RunReport] = None, warehouse: Optional[Warehouse] = None,
                transport: Any = None) -> "SyncContext":
        """A context with its own client, from checked options (``transport``: an ``httpx``
        transport, for in-process tests against the simulator)."""
        options = options.checked()
        client = AsanaClient(options.access_token, base_url=options.base_url,
                             requests_per_minute=options.requests_per_minute, max_concurrency=options.max_concurrency,
                             transport=transport, page_size=options.page_size,
                             retry=options.retry_policy())
        return cls(client, options, report=report, warehouse=warehouse)

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
