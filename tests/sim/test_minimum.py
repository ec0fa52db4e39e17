"""The minimum number of requests a sync needs (asana_sim/minimum.py): hand-counted on a tiny
organization, and a real full sync of the small one measured against it."""
from __future__ import annotations

import sys
from pathlib import Path

import httpx

from asana_sim import AsanaSimulator, SimConfig, serve_in_thread
from asana_sim.minimum import minimum_requests, pages

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import sync  # noqa: E402


def tiny() -> AsanaSimulator:
    return AsanaSimulator(SimConfig(seed=5, n_users=6, n_teams=1, n_projects=2, tasks_per_project=4, subtask_ratio=0.5,
                                    stories_per_task=1.0, n_tags=2, n_custom_fields=1, n_portfolios=1, n_goals=1,
                                    time_tracking_share=0.0, n_webhooks=1))


def test_pages():
    assert [pages(n) for n in (0, 1, 100, 101, 200, 201)] == [1, 1, 1, 2, 2, 3]


def test_full_sync_minimum_on_a_tiny_organization_by_hand():
    s = tiny().store
    # What the tiny organization holds (the counts the minimum below is made of).
    orgs = [w for w in s.workspaces.values() if w["is_organization"]]
    assert len(s.workspaces) == 2 and len(orgs) == 1          # Acme Corp + Personal Projects
    assert len(s.teams) == 1 and len(s.projects) == 2          # one team project, one in the plain workspace
    assert len(s.tasks) == 11 and sum(1 for t in s.tasks.values() if t["parent"]) == 2
    assert sum(1 for t in s.tasks if s.ix_subtasks.get(t)) == 1                 # one parent of both subtasks
    assert sum(1 for t in s.tasks if s.ix_task_attachments.get(t)) == 1         # one task with attachments
    assert max(len(s.ix_task_stories.get(t, ())) for t in s.tasks) < 100        # one stories page per task
    mine = [p for p in s.portfolios.values() if p["owner"] == s.me]
    assert len(mine) == 1 and len(s.portfolios) == 2           # the other one is not the token's, nor nested
    assert len(s.goals) == 1 and len(s.project_briefs) == 1 and not s.time_tracking_entries
    assert all(len(s.ix_project_tasks[p]) <= 100 for p in s.projects)

    assert minimum_requests(s) == {
        "GET /workspaces": 1,
        # per workspace (2): users, tags, custom fields, memberships, templates, periods, webhooks, goals,
        # time tracking (empty listings still cost their request)
        "GET /users?workspace": 2, "GET /tags?workspace": 2, "GET /workspaces/{gid}/custom_fields": 2,
        "GET /workspaces/{gid}/workspace_memberships": 2, "GET /project_templates?workspace": 2,
        "GET /time_periods?workspace": 2, "GET /webhooks?workspace": 2, "GET /goals?workspace": 2,
        "GET /time_tracking_entries?workspace": 2,
        # the organization's teams, the team's memberships and projects; the plain workspace's projects
        "GET /workspaces/{gid}/teams": 1, "GET /teams/{gid}/team_memberships": 1, "GET /teams/{gid}/projects": 1,
        "GET /projects?workspace": 1,
        # per project (2): sections, memberships, legacy statuses, tasks; one brief
        "GET /projects/{gid}/sections": 2, "GET /projects/{gid}/project_memberships": 2,
        "GET /projects/{gid}/project_statuses": 2, "GET /tasks?project": 2, "GET /project_briefs/{gid}": 1,
        # status updates of 2 projects + 1 portfolio + 1 goal
        "GET /status_updates?parent": 4,
        "GET /portfolios?workspace": 1, "GET /portfolios/{gid}/items": 1,
        "GET /portfolios/{gid}/portfolio_memberships": 1, "GET /goal_relationships?supported_goal": 1,
        # per task (11): stories; subtasks for the one parent; attachments for the one task with some
        "GET /tasks/{gid}/stories": 11, "GET /tasks/{gid}/subtasks": 1, "GET /attachments?parent": 1,
    }


def test_incremental_minimum_counts_changed_tasks_only():
    sim = tiny()
    s = sim.store
    quiet = minimum_requests(s, since="2999-01-01T00:00:00.000Z")
    assert quiet["GET /events?resource"] == 2                      # one stream read per project
    assert not {"GET /tasks/{gid}/stories", "GET /tasks?project", "GET /time_tracking_entries/{gid}"} & set(quiet)
    parent = next(t for t in s.tasks if s.ix_subtasks.get(t))
    before = s.now_ms() + 1
    with serve_in_thread(sim) as base_url:
        http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {sim.token}"})
        http.put(f"/tasks/{parent}", json={"data": {"name": "renamed"}}).raise_for_status()
    after = minimum_requests(s, since=before)
    assert after["GET /tasks/{gid}/stories"] == 1 and after["GET /tasks/{gid}/subtasks"] == 1
    assert after["GET /tasks?project"] == len(s.tasks[parent]["memberships"])
    assert sum(after.values()) - sum(quiet.values()) == 2 + len(s.tasks[parent]["memberships"]) + (
        1 if s.ix_task_attachments.get(parent) else 0)


# Endpoints where a full sync is known to exceed the minimum (bench/RESULTS.md names each):
# attachments are read for every task until 20 tasks with attachments confirmed the attachment_added
# story; every user's task list is read for tasks in no project; each workspace is probed once.
KNOWN_EXCESS = {"GET /attachments?parent", "GET /tasks?assignee,workspace", "GET /workspaces/{gid}"}


def test_full_sync_of_the_small_organization_against_the_minimum(tmp_path):
    sim = AsanaSimulator(SimConfig.small())
    minimum = minimum_requests(sim.store)
    with serve_in_thread(sim) as base_url:
        sync(sim, base_url, tmp_path)
    actual: dict[str, int] = {}
    for (endpoint, status), n in sim.stats.by_endpoint.items():
        assert status == 200, (endpoint, status)
        actual[endpoint] = actual.get(endpoint, 0) + n
    over = {e: (actual.get(e, 0), minimum.get(e, 0)) for e in set(actual) | set(minimum)
            if actual.get(e, 0) > minimum.get(e, 0) and e not in KNOWN_EXCESS}
    assert not over, over
    total = sum(actual.values())
    assert sum(minimum.values()) <= total <= 1.7 * sum(minimum.values())
