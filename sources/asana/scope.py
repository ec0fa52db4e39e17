"""Which teams a run covers: every team (the default), only some (a team partition), or every team
but some (the workspace partition beside team partitions).

A run limited to teams reads those teams' projects and everything in them: sections, memberships,
statuses, briefs, their tasks with subtasks, stories and attachments. What belongs to a workspace
rather than a team (users, tags, custom fields, portfolios, goals, time tracking, templates, time
periods, webhooks, My Tasks lists, tasks in no project) is left to the run that covers the
workspace; ``WORKSPACE_WIDE_RESOURCES`` names those resources.

Both options take team gids, as a list or a comma-separated string::

    {"teams": ["1200000000000100"]}            # only this team
    {"exclude_teams": "1200000000000100,1200000000000101"}   # everything but these two
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .options import parse_list

# The resources a run limited to teams does not run: they list workspace-wide objects.
WORKSPACE_WIDE_RESOURCES = ("users", "tags", "custom_fields", "workspace_memberships", "portfolios", "goals",
                            "time_tracking_entries", "user_task_lists", "project_templates", "time_periods",
                            "webhooks")


@dataclass(frozen=True)
class TeamScope:
    only: frozenset = frozenset()
    without: frozenset = frozenset()

    @classmethod
    def of(cls, teams: Any = None, exclude_teams: Any = None) -> "TeamScope":
        """The scope of these options (``SourceOptions.checked`` has refused both at once and
        anything but gids)."""
        return cls(frozenset(parse_list(teams)), frozenset(parse_list(exclude_teams)))

    @property
    def team_only(self) -> bool:
        """Only some teams: nothing workspace-wide is read."""
        return bool(self.only)

    @property
    def limited(self) -> bool:
        return bool(self.only or self.without)

    def keeps(self, team_gid: Optional[str]) -> bool:
        """Whether a team (or a project of that team; None for a project of no team) is covered."""
        if self.only:
            return team_gid in self.only
        return team_gid not in self.without

    def tasks_in_scope(self, known: dict, team_tasks: Any) -> dict:
        """The warehouse's live tasks (``{gid: fingerprint}``) this run is responsible for: those
        in (or below a task in) a project of a covered team. ``team_tasks(teams)`` answers, from the
        warehouse, the gids of tasks in the projects of ``teams`` and their subtasks, at any depth."""
        if self.only:
            wanted = team_tasks(sorted(self.only))
            return {gid: fp for gid, fp in known.items() if gid in wanted}
        if self.without:
            # Tasks in an excluded team's project are that team partition's to reconcile (a task also
            # in a covered project is listed, and so seen, here anyway).
            elsewhere = team_tasks(sorted(self.without))
            return {gid: fp for gid, fp in known.items() if gid not in elsewhere}
        return known
