"""What the sync needs to know of the destination's current contents (implemented by the pipeline)."""

from __future__ import annotations

from typing import Protocol


class Warehouse(Protocol):
    """A read-only view of the raw tables as they were before this run.

    ``pipelines.pipeline.WarehouseView`` implements it over dlt's SQL client; ``None`` in its place
    means an empty warehouse (a first run, or a full refresh).
    """

    def rows(self, table: str) -> list[dict]:
        """Every row of a (small) raw table."""

    def live_rows(self, table: str) -> list[dict]:
        """Rows of a raw table not marked deleted."""

    def project_workspaces(self) -> dict[str, str]:
        """``{project gid: workspace gid}`` of live projects."""

    def task_fingerprints(self) -> dict[str, tuple]:
        """``{task gid: (workspace gid, sync_fingerprint)}`` of live tasks."""

    def parent_gids(self) -> set[str]:
        """Live tasks with subtasks."""

    def project_task_gids(self, project_gid: str) -> set[str]:
        """Live tasks in a project."""

    def task_rows(self, gids: list[str]) -> list[dict]:
        """The stored rows of these tasks."""

    def team_task_gids(self, team_gids: list[str]) -> set[str]:
        """Live tasks in the projects of these teams, and their subtasks at any depth."""
