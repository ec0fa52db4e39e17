"""The fewest requests a sync needs for the data the warehouse stores, computed over the ground truth.

``minimum_requests(store)`` is the floor for a full (first) sync; ``minimum_requests(store, since=T)``
the floor for an incremental run after changes made at or after ``T`` (epoch milliseconds or an ISO
time). Both return ``{endpoint: requests}``, with endpoints named as ``Stats.by_endpoint`` names them
(``asana_sim.app.endpoint_of``: the route template plus the names of the query parameters that choose
what is listed, e.g. ``GET /tasks?project``), so a measured sync compares endpoint by endpoint.

What "minimum" means here, for every term:

* **One page holds 100 items** (Asana's largest ``limit``); a listing of ``n`` items costs
  ``max(1, ceil(n / 100))``: even an empty listing costs its one request, because nothing read
  before it says it is empty.
* **A listing is skipped only when something already read says it is empty**: a task's
  ``num_subtasks`` (tasks without subtasks need no subtasks call), a task's ``attachment_added``
  stories (tasks without attachments need no attachments call), a project's ``project_brief``
  reference (projects without a brief need no brief read). Everything the sources' canonical
  listings return with the right ``opt_fields`` costs nothing extra: a project's custom field
  settings, a task's tags, followers, dependencies, dependents and custom field values, a
  portfolio's custom field settings, a user's task list (from the workspace membership).
* **The warehouse's tables decide what must be read** (``sources/asana/settings.py`` ``TABLES``):
  a request that stores nothing (a per-workspace access probe, an event-stream start that answers
  412 with a sync token) is not part of the minimum; a bench reports those as bookkeeping.
* **The token is assumed to read everything** (no 403/401 parts, no truncation): the floor is for
  the data, not for recovering from refusals.

Full sync, per endpoint (the docstring of each ``_`` helper below gives the rationale of its terms).
Incremental sync: every listing whose table is replaced each run (everything except tasks, their
stories, subtasks and attachments, and time tracking details) costs the same as in a full sync, since
Asana offers no "changed since" for them; tasks cost one request per project (a project event stream
read: the only way to learn of deletions and moves out of a project), plus, per changed task, its
stories, its subtasks when it has any and its attachments when it has any; a project with changed
top-level tasks costs ``ceil(changed / 100)`` more (a ``modified_since`` listing gives the changed
tasks' fields without a GET per task). Time tracking entries created since cost their detail GET.

Incremental sync through search (``search=True``, premium workspaces; the source's default between
reconciliations there): one ``GET /workspaces/{gid}/tasks/search`` page per 100 changed tasks of a
workspace (at least one: nothing else says none changed), no event stream, and the project listings
above only for projects that hold a changed task or whose own ``modified_at`` moved. Deletions and
moves wait for the next reconciliation in that mode, so this floor is lower than the per-project one.
"""
from __future__ import annotations

import collections
from typing import Optional, Union

from .store import Store, ms_of

PAGE = 100


def pages(n: int) -> int:
    """Requests to list ``n`` items: one page per 100, and at least one (an empty listing is a request)."""
    return max(1, -(-n // PAGE))


def minimum_requests(store: Store, since: Union[int, str, None] = None, search: bool = False) -> dict[str, int]:
    """``{endpoint: requests}``: the floor of a full sync (``since`` None) or of an incremental one
    (per project, or through search when ``search``)."""
    out: collections.Counter = collections.Counter()
    s = store
    orgs = [w for w in s.ix_workspaces if s.workspaces[w].get("is_organization")]
    plain = [w for w in s.ix_workspaces if not s.workspaces[w].get("is_organization")]
    _workspace_listings(s, out, orgs, plain)
    since_iso = None if since is None else since if isinstance(since, str) else _iso(since)
    if since_iso is not None and search:
        changed = _changed_tasks(s, since_iso)
        touched = {m["project"] for g in changed for m in s.tasks[g]["memberships"]}
        touched |= {p for p, project in s.projects.items() if (project.get("modified_at") or "") >= since_iso}
        _project_listings(s, out, touched)
    else:
        _project_listings(s, out)
    _portfolios_and_goals(s, out, orgs)
    if since_iso is None:
        _tasks_full(s, out)
        out["GET /time_tracking_entries/{gid}"] += len(s.time_tracking_entries)
    else:
        if search:
            _tasks_searched(s, out, changed)
        else:
            _tasks_incremental(s, out, since_iso)
        out["GET /time_tracking_entries/{gid}"] += sum(
            1 for e in s.time_tracking_entries.values() if (e.get("created_at") or "") >= since_iso)
    return {k: v for k, v in sorted(out.items()) if v}


def _iso(ms: int) -> str:
    from .store import iso_ms
    return iso_ms(int(ms))


def _workspace_listings(s: Store, out: collections.Counter, orgs: list, plain: list) -> None:
    """``workspaces``: one listing. Per workspace: ``users`` (``GET /users?workspace=``, the listing the
    source uses, feeding ``users`` and ``workspace_users``), ``tags``, ``custom_fields`` (enum options
    come with them), ``workspace_memberships`` (which also carry each user's task list, so
    ``user_task_lists`` costs a GET only for a user with a task list and no membership),
    ``project_templates``, ``time_periods``, ``webhooks``, ``goals`` and the time tracking entries
    (one listing per workspace; each entry's ``task`` and ``created_at`` are only offered by
    ``GET /time_tracking_entries/{gid}``, one per entry, counted by the callers).
    Per organization: ``teams``; per team: its ``team_memberships`` and its ``projects`` (a workspace
    that is not an organization lists its projects with ``GET /projects?workspace=``)."""
    out["GET /workspaces"] += pages(len(s.ix_workspaces))
    by_ws: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for kind, table, key in (("workspace_membership", s.workspace_memberships, "workspace"),
                             ("project_template", s.project_templates, "workspace"),
                             ("time_period", s.time_periods, "workspace"),
                             ("webhook", s.webhooks, "workspace"),
                             ("goal", s.goals, "workspace")):
        for rec in table.values():
            by_ws[rec.get(key)][kind] += 1
    for e in s.time_tracking_entries.values():
        task = s.tasks.get(e["task"])
        if task is not None:
            by_ws[task["workspace"]]["time_tracking_entry"] += 1
    members = {(m["workspace"], m["user"]) for m in s.workspace_memberships.values()}
    for w in s.ix_workspaces:
        n = by_ws[w]
        out["GET /users?workspace"] += pages(len(s.ix_ws_users.get(w, ())))
        out["GET /tags?workspace"] += pages(len(s.ix_ws_tags.get(w, ())))
        out["GET /workspaces/{gid}/custom_fields"] += pages(len(s.ix_ws_custom_fields.get(w, ())))
        out["GET /workspaces/{gid}/workspace_memberships"] += pages(n["workspace_membership"])
        out["GET /project_templates?workspace"] += pages(n["project_template"])
        out["GET /time_periods?workspace"] += pages(n["time_period"])
        out["GET /webhooks?workspace"] += pages(n["webhook"])
        out["GET /goals?workspace"] += pages(n["goal"])
        out["GET /time_tracking_entries?workspace"] += pages(n["time_tracking_entry"])
        out["GET /users/{gid}/user_task_list?workspace"] += sum(
            1 for u in s.ix_ws_users.get(w, ()) if (w, u) not in members and s.user_task_list_of(u, w))
    for w in orgs:
        teams = s.ix_ws_teams.get(w, ())
        out["GET /workspaces/{gid}/teams"] += pages(len(teams))
        for t in teams:
            out["GET /teams/{gid}/team_memberships"] += pages(len(s.ix_team_memberships.get(t, ())))
            out["GET /teams/{gid}/projects"] += pages(len(s.ix_team_projects.get(t, ())))
    for w in plain:
        out["GET /projects?workspace"] += pages(len(s.ix_ws_projects.get(w, ())))


def _project_listings(s: Store, out: collections.Counter, only: Optional[set] = None) -> None:
    """Per project: ``sections``, ``project_memberships``, ``project_statuses`` (legacy statuses) and
    ``status_updates`` (``GET /status_updates?parent=``): one listing each, at least one page, since
    nothing in the project's own record says they are empty. ``project_briefs``: one GET per project
    whose ``project_brief`` reference is set (none for the others). Custom field settings come with
    the project listing (``custom_field_settings.*`` in its ``opt_fields``): no request."""
    status_by_parent = collections.Counter(u["parent"] for u in s.status_updates.values())
    statuses = collections.Counter(p["project"] for p in s.project_statuses.values())
    memberships = collections.Counter(m["project"] for m in s.project_memberships.values())
    briefs = {b["project"] for b in s.project_briefs.values()}
    for p in s.projects:
        if only is not None and p not in only:
            continue
        out["GET /projects/{gid}/sections"] += pages(len(s.ix_project_sections.get(p, ())))
        out["GET /projects/{gid}/project_memberships"] += pages(memberships[p])
        out["GET /projects/{gid}/project_statuses"] += pages(statuses[p])
        out["GET /status_updates?parent"] += pages(status_by_parent[p])
        out["GET /project_briefs/{gid}"] += p in briefs


def _portfolios_and_goals(s: Store, out: collections.Counter, orgs: list) -> None:
    """Portfolios: one listing of the token's portfolios per organization
    (``GET /portfolios?workspace=``), a GET per portfolio reachable only as another's item (nested),
    and per portfolio its ``items``, its ``portfolio_memberships`` and its status updates.
    Goals (listed per workspace, above): per goal its ``goal_relationships`` and status updates."""
    status_by_parent = collections.Counter(u["parent"] for u in s.status_updates.values())
    pf_members = collections.Counter(m["portfolio"] for m in s.portfolio_memberships.values())
    rel_by_goal = collections.Counter(r["supported_goal"] for r in s.goal_relationships.values())
    for w in orgs:
        top = [g for g, p in s.portfolios.items() if p["workspace"] == w and p["owner"] == s.me]
        out["GET /portfolios?workspace"] += pages(len(top))
        seen, pending = set(), list(top)
        while pending:
            g = pending.pop()
            if g in seen:
                continue
            seen.add(g)
            if g not in top:
                out["GET /portfolios/{gid}"] += 1
            items = [i for i in s.portfolios[g]["items"] if i in s.projects or i in s.portfolios]
            out["GET /portfolios/{gid}/items"] += pages(len(items))
            out["GET /portfolios/{gid}/portfolio_memberships"] += pages(pf_members[g])
            out["GET /status_updates?parent"] += pages(status_by_parent[g])
            pending.extend(i for i in items if i in s.portfolios)
    for g in s.goals:
        out["GET /goal_relationships?supported_goal"] += pages(rel_by_goal[g])
        out["GET /status_updates?parent"] += pages(status_by_parent[g])


def _task_children(s: Store, out: collections.Counter, gid: str) -> None:
    """One task's own listings: ``stories`` (at least one page: every task has at least its creation
    story, and nothing on the task says how many), ``subtasks`` only when ``num_subtasks`` > 0,
    ``attachments`` (``GET /attachments?parent=``) only when it has any (each attachment is announced
    by an ``attachment_added`` story, read anyway)."""
    out["GET /tasks/{gid}/stories"] += pages(len(s.ix_task_stories.get(gid, ())))
    n_sub = len(s.ix_subtasks.get(gid, ()))
    if n_sub:
        out["GET /tasks/{gid}/subtasks"] += pages(n_sub)
    n_att = len(s.ix_task_attachments.get(gid, ()))
    if n_att:
        out["GET /attachments?parent"] += pages(n_att)


def _unprojected_assignees(s: Store) -> collections.Counter:
    """Top-level tasks in no project are reachable only through their assignee's task list
    (``GET /tasks?assignee=&workspace=``); the floor counts that listing only for (assignee,
    workspace) pairs that hold such a task, at its full length (the list holds all their tasks)."""
    pairs = collections.Counter()
    for t in s.tasks.values():
        if t["parent"] is None and not t["memberships"] and t["assignee"]:
            pairs[f"{t['assignee']}/{t['workspace']}"] += 1
    return pairs


def _tasks_full(s: Store, out: collections.Counter) -> None:
    """Full sync: per project its tasks (``GET /tasks?project=``, top-level tasks and any subtask
    added to the project; a task in several projects is in each listing), every task's own listings
    (``_task_children``, subtasks included: they are tasks with stories too), and the assignee lists
    of tasks in no project (``_unprojected_assignees``)."""
    for p in s.projects:
        out["GET /tasks?project"] += pages(len(s.ix_project_tasks.get(p, ())))
    for g in s.tasks:
        _task_children(s, out, g)
    for pair in _unprojected_assignees(s):
        out["GET /tasks?assignee,workspace"] += pages(len(s.ix_assignee_tasks.get(pair, ())))


def _tasks_incremental(s: Store, out: collections.Counter, since: str) -> None:
    """Incremental: one event-stream read per project (``GET /events?resource``; it names changed,
    moved and deleted tasks), a ``modified_since`` listing page per 100 changed top-level tasks of a
    project that has any, and the own listings of each changed task. A task "changed" when its
    ``modified_at`` or an association change is at or after ``since``, or a story of it was created
    at or after ``since``."""
    changed = _changed_tasks(s, since)
    per_project = collections.Counter()
    for g in changed:
        t = s.tasks[g]
        for m in t["memberships"]:
            per_project[m["project"]] += 1
        _task_children(s, out, g)
    out["GET /events?resource"] += len(s.projects)
    for p, n in per_project.items():
        out["GET /tasks?project"] += pages(n)


def _changed_tasks(s: Store, since: str) -> set:
    changed = {g for g, t in s.tasks.items()
               if (t.get("modified_at") or "") >= since or s.assoc_modified_at.get(g, "") >= since}
    changed |= {st["target"] for st in s.stories.values()
                if (st.get("created_at") or "") >= since and st["target"] in s.tasks}
    return changed


def _tasks_searched(s: Store, out: collections.Counter, changed: set) -> None:
    """Through search: a page per 100 changed tasks of each workspace (at least one), and the own
    listings of each changed task."""
    per_workspace = collections.Counter(s.tasks[g]["workspace"] for g in changed)
    for w in s.ix_workspaces:
        out["GET /workspaces/{gid}/tasks/search"] += pages(per_workspace[w])
    for g in changed:
        _task_children(s, out, g)


def since_of(value: Optional[str]) -> Union[int, str, None]:
    """The admin endpoint's ``since`` query value: epoch milliseconds or an ISO time."""
    if not value:
        return None
    return int(value) if value.isdigit() else value


__all__ = ["minimum_requests", "pages", "since_of", "ms_of"]
