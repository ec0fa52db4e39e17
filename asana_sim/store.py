"""Ground truth of the simulator and every mutation of it.

Records are plain dicts keyed by gid (shapes in docs/CONTRACTS.md section 1); references are gids.
Ordered listings are kept in `Seq` indices so a paged listing is a bisect plus a slice.

modified_at rules (BEHAVIOR.md "Incremental fields"), as applied by the mutation methods:

* bumped by: a story created or deleted (comments included), assign/unassign, a custom field value
  change, completion/un-completion, rename, due date / start date change, notes change, attachments.
* NOT bumped by: any change to a subtask (its parent is untouched), moves between projects or sections
  (addProject, removeProject, sections/addTask, project deletion), tag add/remove, follower changes
  and setParent (the task reference: modified_at does not reflect association changes).
* A move inside a project records a `section_changed` system story for history consistency, but that
  story deliberately does not bump modified_at (the task reference: modified_at does not reflect
  association changes).
* Association changes -- project and section membership (addProject, removeProject, sections/addTask,
  project deletion), tags, followers, setParent and a dependency lost because the task it depended on
  was deleted -- are recorded in `assoc_modified_at` (gid -> time)
  instead: `GET /tasks?modified_since=` counts them ("associations between it and other objects are
  modified (e.g. a task being added to a project)", the GET /tasks reference) while the task's
  `modified_at` field stays as it was.

Every write also appends events to the Events API streams of the task and of its projects.
"""
from __future__ import annotations

import bisect
import itertools
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

GID_BASE = 1_200_000_000_000_000


_DAYS: dict[int, str] = {}  # days since the epoch -> "YYYY-MM-DD" (generation formats millions of stamps)


def date_of(epoch_ms: int) -> str:
    d = int(epoch_ms) // 86_400_000
    day = _DAYS.get(d)
    if day is None:
        t = time.gmtime(d * 86_400)
        day = _DAYS[d] = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
    return day


_TOD: list[str | None] = [None] * 86_400            # second of the day -> "THH:MM:SS."
_MSZ = [f"{i:03d}Z" for i in range(1000)]


def iso_ms(epoch_ms: int) -> str:
    """Epoch milliseconds -> `2026-01-02T03:04:05.678Z`."""
    s, ms = divmod(int(epoch_ms), 1000)
    d, sec = divmod(s, 86_400)
    day = _DAYS.get(d)
    if day is None:
        day = date_of(d * 86_400_000)
    tod = _TOD[sec]
    if tod is None:
        h, rest = divmod(sec, 3600)
        tod = _TOD[sec] = f"T{h:02d}:{rest // 60:02d}:{rest % 60:02d}."
    return day + tod + _MSZ[ms]


def ms_of(iso: str) -> int:
    """`2026-01-02T03:04:05.678Z` -> epoch milliseconds (the inverse of iso_ms)."""
    return int(datetime.fromisoformat(iso[:23]).replace(tzinfo=timezone.utc).timestamp() * 1000 + 0.5)


class Seq:
    """An ordered listing of gids with monotonically increasing integer keys.

    Page tokens remember the key of the last item served, so removals and appends during a
    listing never make the server skip or repeat an item.
    """

    __slots__ = ("keys", "gids", "key_of")

    def __init__(self) -> None:
        self.keys: list[int] = []
        self.gids: list[str] = []
        self.key_of: dict[str, int] = {}

    @classmethod
    def of(cls, gids: Iterable[str]) -> "Seq":
        s = cls()
        for i, g in enumerate(gids):
            s.keys.append(i)
            s.gids.append(g)
            s.key_of[g] = i
        return s

    def append(self, gid: str, key: int) -> None:
        if gid in self.key_of:
            return
        self.keys.append(key)
        self.gids.append(gid)
        self.key_of[gid] = key

    def remove(self, gid: str) -> None:
        key = self.key_of.pop(gid, None)
        if key is None:
            return
        i = bisect.bisect_left(self.keys, key)
        del self.keys[i]
        del self.gids[i]

    def __contains__(self, gid: str) -> bool:
        return gid in self.key_of

    def __len__(self) -> int:
        return len(self.gids)

    def __iter__(self):
        return iter(self.gids)


class NotFound(Exception):
    def __init__(self, kind: str, gid: str):
        super().__init__(f"{kind}: Unknown object: {gid}")
        self.kind, self.gid = kind, gid


class BadInput(Exception):
    pass


def _seqdict() -> dict[str, Seq]:
    class D(dict):
        def __missing__(self, k):
            v = self[k] = Seq()
            return v
    return D()


class Store:
    """Ground truth: dicts of records keyed by gid, plus ordered indices and mutation methods."""

    def __init__(self, now_s: float | None = None) -> None:
        self._init_records()
        self._init_indices()
        self.me: str | None = None
        self.lock = threading.RLock()
        self._gid = itertools.count(GID_BASE + 1)
        self._seq = itertools.count(1)
        self._last_write_ms = 0
        # Events API: resource gid -> list of (seq, event); compact caches invalidated on writes
        self.events: dict[str, list[tuple[int, dict]]] = {}
        self.compact_cache: dict[str, dict] = {}
        self.version = 0
        # task gid -> time of its last association change (visible to modified_since, not to modified_at)
        self.assoc_modified_at: dict[str, str] = {}

    def _init_records(self) -> None:
        """One dict of records (gid -> record) per kind, named as in `_PLURAL`."""
        self.workspaces: dict[str, dict] = {}
        self.users: dict[str, dict] = {}
        self.teams: dict[str, dict] = {}
        self.team_memberships: dict[str, dict] = {}
        self.projects: dict[str, dict] = {}
        self.sections: dict[str, dict] = {}
        self.tags: dict[str, dict] = {}
        self.custom_fields: dict[str, dict] = {}
        self.tasks: dict[str, dict] = {}
        self.stories: dict[str, dict] = {}
        self.attachments: dict[str, dict] = {}
        # full-coverage kinds (docs/CONTRACTS.md section 1, second table)
        self.custom_field_settings: dict[str, dict] = {}
        self.workspace_memberships: dict[str, dict] = {}
        self.project_memberships: dict[str, dict] = {}
        self.status_updates: dict[str, dict] = {}
        self.project_statuses: dict[str, dict] = {}
        self.project_briefs: dict[str, dict] = {}
        self.project_templates: dict[str, dict] = {}
        self.portfolios: dict[str, dict] = {}
        self.portfolio_memberships: dict[str, dict] = {}
        self.goals: dict[str, dict] = {}
        self.goal_relationships: dict[str, dict] = {}
        self.time_periods: dict[str, dict] = {}
        self.time_tracking_entries: dict[str, dict] = {}
        self.user_task_lists: dict[str, dict] = {}
        self.webhooks: dict[str, dict] = {}
        self.order: dict[str, int] = {}             # gid -> listing key of the full-coverage kinds

    def _init_indices(self) -> None:
        """Ordered listings (parent gid -> Seq of child gids) and the lookups the records do not hold."""
        self.ix_workspaces = Seq()
        self.ix_ws_users = _seqdict()
        self.ix_ws_teams = _seqdict()
        self.ix_team_memberships = _seqdict()      # team -> memberships
        self.ix_user_team_memberships = _seqdict()  # user -> memberships
        self.ix_ws_projects = _seqdict()
        self.ix_team_projects = _seqdict()
        self.ix_project_sections = _seqdict()
        self.ix_ws_tags = _seqdict()
        self.ix_ws_custom_fields = _seqdict()
        self.ix_project_tasks = _seqdict()
        self.ix_section_tasks = _seqdict()
        self.ix_tag_tasks = _seqdict()
        self.ix_assignee_tasks = _seqdict()         # f"{assignee}/{workspace}" -> tasks
        self.ix_subtasks = _seqdict()
        self.ix_task_stories = _seqdict()
        self.ix_task_attachments = _seqdict()
        self.ix_ws_tasks = _seqdict()               # every task (search)
        self.cfs_gid: dict[tuple[str, str], str] = {}  # (project, custom field) -> setting gid
        self.cfs_by_gid: dict[str, tuple[str, str]] = {}
        self._dependents: dict[str, list[str]] = {}
        self._users_by_name: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ ids and time
    def new_gid(self) -> str:
        return str(next(self._gid))

    def next_key(self) -> int:
        return next(self._seq)

    def now_ms(self) -> int:
        # Strictly increasing write clock, so two writes never share a modified_at.
        ms = max(int(time.time() * 1000), self._last_write_ms + 1)
        self._last_write_ms = ms
        return ms

    # ------------------------------------------------------------------ registration (generator + writes)
    def add_workspace(self, w: dict) -> None:
        self.workspaces[w["gid"]] = w
        self.ix_workspaces.append(w["gid"], self.next_key())

    def add_user(self, u: dict) -> None:
        self.users[u["gid"]] = u
        for w in u["workspaces"]:
            self.ix_ws_users[w].append(u["gid"], self.next_key())
        self._users_by_name.clear()

    def add_team(self, t: dict) -> None:
        self.teams[t["gid"]] = t
        self.ix_ws_teams[t["organization"]].append(t["gid"], self.next_key())

    def add_team_membership(self, m: dict) -> None:
        self.team_memberships[m["gid"]] = m
        k = self.next_key()
        self.ix_team_memberships[m["team"]].append(m["gid"], k)
        self.ix_user_team_memberships[m["user"]].append(m["gid"], k)
        self._users_by_name.clear()

    def add_project(self, p: dict) -> None:
        self.projects[p["gid"]] = p
        k = self.next_key()
        self.ix_ws_projects[p["workspace"]].append(p["gid"], k)
        if p["team"]:
            self.ix_team_projects[p["team"]].append(p["gid"], k)
        for cf in p["custom_field_settings"]:
            self._register_cfs(p["gid"], cf)

    def _register_cfs(self, project: str, cf: str, parent_type: str = "project") -> None:
        if (project, cf) not in self.cfs_gid:
            g = self.new_gid()
            self.cfs_gid[(project, cf)] = g
            self.cfs_by_gid[g] = (project, cf)
            self.custom_field_settings[g] = {"gid": g, "parent": project, "parent_type": parent_type,
                                             "custom_field": cf, "is_important": False}

    def add(self, kind: str, rec: dict) -> dict:
        """Register a record of one of the full-coverage kinds (listing order = registration order)."""
        getattr(self, _PLURAL[kind])[rec["gid"]] = rec
        self.order[rec["gid"]] = self.next_key()
        return rec

    def select(self, kind: str, pred: Callable[[dict], bool] | None = None) -> "Seq":
        """An ordered listing (stable keys, so page tokens survive removals) of records matching `pred`."""
        recs = getattr(self, _PLURAL[kind])
        s = Seq()
        for key, g in sorted((self.order[g], g) for g, r in recs.items() if pred is None or pred(r)):
            s.append(g, key)
        return s

    def remove(self, kind: str, gid: str) -> None:
        getattr(self, _PLURAL[kind]).pop(gid, None)
        self.order.pop(gid, None)

    def kind_of(self, gid: str) -> str | None:
        for kind in ("project", "portfolio", "goal", "task", "user", "workspace", "team", "tag", "section"):
            if gid in getattr(self, _PLURAL[kind]):
                return kind
        return None

    def user_task_list_of(self, user: str, workspace: str) -> str | None:
        return next((u["gid"] for u in self.user_task_lists.values()
                     if u["owner"] == user and u["workspace"] == workspace), None)

    def brief_of(self, project: str) -> str | None:
        return next((b["gid"] for b in self.project_briefs.values() if b["project"] == project), None)

    def latest_status_update(self, parent: str) -> str | None:
        best = None
        for u in self.status_updates.values():
            if u["parent"] == parent and (best is None or (u["created_at"], u["gid"]) > (best["created_at"], best["gid"])):
                best = u
        return best["gid"] if best else None

    def latest_project_status(self, project: str) -> str | None:
        best = None
        for u in self.project_statuses.values():
            if u["project"] == project and (best is None or (u["created_at"], u["gid"]) > (best["created_at"], best["gid"])):
                best = u
        return best["gid"] if best else None

    def add_section(self, s: dict) -> None:
        self.sections[s["gid"]] = s
        self.ix_project_sections[s["project"]].append(s["gid"], self.next_key())

    def add_tag(self, t: dict) -> None:
        self.tags[t["gid"]] = t
        self.ix_ws_tags[t["workspace"]].append(t["gid"], self.next_key())

    def add_custom_field(self, c: dict) -> None:
        self.custom_fields[c["gid"]] = c
        self.ix_ws_custom_fields[c["workspace"]].append(c["gid"], self.next_key())

    def add_task(self, t: dict) -> None:
        g = t["gid"]
        self.tasks[g] = t
        k = self.next_key()
        self.ix_ws_tasks[t["workspace"]].append(g, k)
        if t["parent"]:
            self.ix_subtasks[t["parent"]].append(g, k)
        for m in t["memberships"]:
            self.ix_project_tasks[m["project"]].append(g, k)
            if m["section"]:
                self.ix_section_tasks[m["section"]].append(g, k)
        for tag in t["tags"]:
            self.ix_tag_tasks[tag].append(g, k)
        if t["assignee"]:
            self.ix_assignee_tasks[f"{t['assignee']}/{t['workspace']}"].append(g, k)
        for d in t["dependencies"]:
            self._dependents.setdefault(d, []).append(g)

    def add_story(self, s: dict) -> None:
        self.stories[s["gid"]] = s
        self.ix_task_stories[s["target"]].append(s["gid"], self.next_key())

    def add_attachment(self, a: dict) -> None:
        self.attachments[a["gid"]] = a
        self.ix_task_attachments[a["parent"]].append(a["gid"], self.next_key())

    # ------------------------------------------------------------------ query helpers
    def get(self, kind: str, gid: str) -> dict:
        rec = getattr(self, _PLURAL[kind]).get(gid)
        if rec is None:
            raise NotFound(kind, gid)
        return rec

    def subtasks_of(self, gid: str) -> list[str]:
        """Direct subtasks of a task, in order."""
        return list(self.ix_subtasks[gid]) if gid in self.ix_subtasks else []

    def tasks_in_project(self, gid: str) -> list[str]:
        """Tasks that are members of the project (no subtasks unless they are members), in project order."""
        return list(self.ix_project_tasks[gid]) if gid in self.ix_project_tasks else []

    def tasks_in_section(self, gid: str) -> list[str]:
        return list(self.ix_section_tasks[gid]) if gid in self.ix_section_tasks else []

    def stories_of(self, gid: str) -> list[str]:
        return list(self.ix_task_stories[gid]) if gid in self.ix_task_stories else []

    def dependents_of(self, gid: str) -> list[str]:
        return [d for d in self._dependents.get(gid, ()) if d in self.tasks]

    def projects_of(self, gid: str) -> list[str]:
        return [m["project"] for m in self.tasks[gid]["memberships"]]

    def num_subtasks(self, gid: str) -> int:
        s = self.ix_subtasks.get(gid)
        return len(s) if s is not None else 0

    def team_users(self, team: str) -> list[str]:
        ms = self.ix_team_memberships.get(team)
        return [self.team_memberships[m]["user"] for m in ms] if ms else []

    def users_by_name(self, scope: str, gids: Callable[[], Iterable[str]]) -> list[str]:
        cached = self._users_by_name.get(scope)
        if cached is None:
            cached = sorted(gids(), key=lambda g: (self.users[g]["name"].lower(), g))
            self._users_by_name[scope] = cached
        return cached

    def custom_field_setting(self, gid: str) -> tuple[str, str]:
        v = self.cfs_by_gid.get(gid)
        if v is None:
            raise NotFound("custom_field_setting", gid)
        return v

    # ------------------------------------------------------------------ events
    def _event(self, resources: Iterable[str], ev: dict) -> None:
        k = self.next_key()
        for r in resources:
            self.events.setdefault(r, []).append((k, ev))

    def _task_event(self, task: dict, action: str, actor: str | None, ts: int, change: dict | None = None,
                    parent: dict | None = None, extra_projects: Iterable[str] = ()) -> None:
        ev = {
            "user": {"gid": actor, "resource_type": "user", "name": self.users[actor]["name"]} if actor else None,
            "resource": {"gid": task["gid"], "resource_type": "task", "name": task["name"]},
            "type": "task",
            "action": action,
            "parent": parent,
            "created_at": iso_ms(ts),
        }
        if change is not None:
            ev["change"] = change
        projects = set(self.projects_of(task["gid"])) | set(extra_projects)
        self._event([task["gid"], *sorted(projects)], ev)

    def _project_ref(self, p: str) -> dict:
        return {"gid": p, "resource_type": "project", "name": self.projects[p]["name"]}

    # ------------------------------------------------------------------ mutations
    def _invalidate(self, *gids: str) -> None:
        self.version += 1
        for g in gids:
            self.compact_cache.pop(g, None)

    def _touch(self, task: dict, ts: int) -> None:
        task["modified_at"] = iso_ms(ts)

    def _associate(self, gid: str, ts: int) -> None:
        """An association of the task changed: GET /tasks?modified_since= sees it, modified_at does not."""
        self.assoc_modified_at[gid] = iso_ms(ts)

    def _system_story(self, task: dict, subtype: str, actor: str | None, ts: int, text: str, **fields) -> dict:
        s = {
            "gid": self.new_gid(), "target": task["gid"], "created_at": iso_ms(ts), "created_by": actor,
            "resource_subtype": subtype, "type": "system", "text": text, "is_pinned": False, **fields,
        }
        self.add_story(s)
        self._event([task["gid"], *self.projects_of(task["gid"])], {
            "user": {"gid": actor, "resource_type": "user", "name": self.users[actor]["name"]} if actor else None,
            "resource": {"gid": s["gid"], "resource_type": "story", "name": ""},
            "type": "story", "action": "added",
            "parent": {"gid": task["gid"], "resource_type": "task", "name": task["name"]},
            "created_at": s["created_at"],
        })
        return s

    def _actor_name(self, actor: str | None) -> str:
        return self.users[actor]["name"] if actor else "Asana"

    def create_task(self, data: dict, actor: str | None) -> dict:
        """POST /tasks and POST /tasks/{gid}/subtasks."""
        parent = data.get("parent")
        projects = list(data.get("projects") or [])
        workspace = self._new_task_workspace(data, parent, projects)
        ts = self.now_ms()
        memberships = self._new_task_memberships(data, projects)
        assignee = data.get("assignee")
        if assignee == "me":
            assignee = actor
        if assignee:
            self.get("user", assignee)
        due_at = data.get("due_at")
        due_on = data.get("due_on") or (due_at[:10] if due_at else None)
        cfv = self._new_task_custom_field_values(data, memberships)
        gid = self.new_gid()
        notes = data.get("notes", "")
        t = {
            "gid": gid, "name": data.get("name", ""), "resource_subtype": data.get("resource_subtype", "default_task"),
            "workspace": workspace, "parent": parent, "assignee": assignee,
            "completed": bool(data.get("completed", False)), "completed_at": None, "completed_by": None,
            "created_at": iso_ms(ts), "modified_at": iso_ms(ts), "due_on": due_on, "due_at": due_at,
            "start_on": data.get("start_on"), "start_at": None, "notes": notes,
            "html_notes": data.get("html_notes") or f"<body>{_esc(notes)}</body>",
            "memberships": memberships, "tags": list(data.get("tags") or []),
            "followers": list(dict.fromkeys([x for x in [actor, assignee, *(data.get("followers") or [])] if x])),
            "dependencies": [], "custom_field_values": cfv, "num_likes": 0,
            "permalink_url": f"https://app.asana.com/0/0/{gid}",
        }
        if t["completed"]:
            t["completed_at"], t["completed_by"] = iso_ms(ts), actor
        self.add_task(t)
        self._invalidate()
        self._announce_new_task(t, projects, actor, ts)
        return t

    def _new_task_workspace(self, data: dict, parent: str | None, projects: list[str]) -> str:
        """A new task's workspace: its parent's, else the one given, else its first project's."""
        workspace = data.get("workspace")
        if parent:
            workspace = self.get("task", parent)["workspace"]
        for p in projects:
            workspace = workspace or self.get("project", p)["workspace"]
        if not workspace:
            raise BadInput("workspace: Missing input")
        if workspace not in self.workspaces:
            raise NotFound("workspace", workspace)
        return workspace

    def _new_task_memberships(self, data: dict, projects: list[str]) -> list[dict]:
        """`projects` (each in its first section), then `memberships` naming another project."""
        memberships = []
        for p in projects:
            self.get("project", p)
            secs = self.ix_project_sections.get(p)
            memberships.append({"project": p, "section": secs.gids[0] if secs else None})
        for m in data.get("memberships") or []:
            if m.get("project") and all(x["project"] != m["project"] for x in memberships):
                self.get("project", m["project"])
                memberships.append({"project": m["project"], "section": m.get("section")})
        return memberships

    def _new_task_custom_field_values(self, data: dict, memberships: list[dict]) -> dict[str, Any]:
        """Every custom field of the task's projects (unset), with the values `custom_fields` gives."""
        cfv: dict[str, Any] = {}
        for m in memberships:
            for cf in self.projects[m["project"]]["custom_field_settings"]:
                cfv.setdefault(cf, None)
        for cf, v in (data.get("custom_fields") or {}).items():
            self.get("custom_field", cf)
            cfv[cf] = self._coerce_cf(cf, v)
        return cfv

    def _announce_new_task(self, t: dict, projects: list[str], actor: str | None, ts: int) -> None:
        """Events of a new task: on its own stream, once per project it was added to, and on its parent's."""
        self._task_event(t, "added", actor, ts)
        for p in projects:
            self._task_event(t, "added", actor, ts, parent=self._project_ref(p))
        if t["parent"]:
            # The parent learns about the new subtask through its stream, but its modified_at stays.
            self._task_event(self.tasks[t["parent"]], "changed", actor, ts,
                             change={"field": "subtasks", "action": "added",
                                     "added_value": {"gid": t["gid"], "resource_type": "task"}})

    def _coerce_cf(self, cf: str, v: Any) -> Any:
        sub = self.custom_fields[cf]["resource_subtype"]
        if v is None:
            return None
        if sub == "number":
            return float(v)
        if sub in ("multi_enum", "people"):
            return list(v)
        if sub == "date" and isinstance(v, dict):
            return v.get("date")
        return str(v)

    def update_task(self, gid: str, data: dict, actor: str | None) -> dict:
        """PUT /tasks/{gid}. Each changed field bumps modified_at and records a system story."""
        t = self.get("task", gid)
        who = self._actor_name(actor)
        changed = False
        # Fields apply one after the other in this order: one that fails validation (an unknown assignee
        # or custom field) leaves those before it changed.
        for apply in (self._update_name, self._update_assignee, self._update_completed, self._update_dates,
                      self._update_notes, self._update_custom_fields):
            changed = apply(t, data, actor, who) or changed
        if changed:
            self._invalidate(gid)
        return t

    def _update_name(self, t: dict, data: dict, actor: str | None, who: str) -> bool:
        if "name" not in data or data["name"] == t["name"]:
            return False
        ts = self.now_ms()
        self._system_story(t, "name_changed", actor, ts, f"{who} changed the name to \"{data['name']}\"",
                           old_name=t["name"], new_name=data["name"])
        t["name"] = data["name"]
        self._record_change(t, "name", actor, ts)
        return True

    def _update_assignee(self, t: dict, data: dict, actor: str | None, who: str) -> bool:
        if "assignee" not in data:
            return False
        new = data["assignee"]
        if new == "me":
            new = actor
        if new:
            self.get("user", new)
        if new == t["assignee"]:
            return False
        ts = self.now_ms()
        old = t["assignee"]
        if old:
            self.ix_assignee_tasks[f"{old}/{t['workspace']}"].remove(t["gid"])
        if new:
            self.ix_assignee_tasks[f"{new}/{t['workspace']}"].append(t["gid"], self.next_key())
            self._system_story(t, "assigned", actor, ts, f"{who} assigned to {self.users[new]['name']}",
                               assignee=new, previous_assignee=old)  # ground truth only: not served
            if new not in t["followers"]:
                t["followers"].append(new)
        else:
            self._system_story(t, "unassigned", actor, ts, f"{who} unassigned from {self.users[old]['name']}",
                               assignee=old)
        t["assignee"] = new
        self._record_change(t, "assignee", actor, ts)
        return True

    def _update_completed(self, t: dict, data: dict, actor: str | None, who: str) -> bool:
        if "completed" not in data or bool(data["completed"]) == t["completed"]:
            return False
        ts = self.now_ms()
        done = bool(data["completed"])
        self._system_story(t, "marked_complete" if done else "marked_incomplete", actor, ts,
                           f"{who} {'completed' if done else 'marked incomplete'} this task")
        t["completed"] = done
        t["completed_at"] = iso_ms(ts) if done else None
        t["completed_by"] = actor if done else None
        self._record_change(t, "completed", actor, ts)
        return True

    def _update_dates(self, t: dict, data: dict, actor: str | None, who: str) -> bool:
        """due_on, due_at and start_on: one `due_date_changed` story for them all. A new due_on alone drops
        due_at; a due_at sets due_on to its day."""
        if not any(k in data for k in ("due_on", "due_at", "start_on")):
            return False
        due_at = data.get("due_at", t["due_at"] if "due_on" not in data else None)
        due_on = data.get("due_on", t["due_on"])
        if "due_at" in data and due_at:
            due_on = due_at[:10]
        start_on = data.get("start_on", t["start_on"])
        if (due_on, due_at, start_on) == (t["due_on"], t["due_at"], t["start_on"]):
            return False
        ts = self.now_ms()
        old_dates = {"start_on": t["start_on"], "due_at": t["due_at"], "due_on": t["due_on"]}
        new_dates = {"start_on": start_on, "due_at": due_at, "due_on": due_on}
        self._system_story(t, "due_date_changed", actor, ts, f"{who} changed the due date to {due_on}",
                           old_dates=old_dates, new_dates=new_dates)
        t["due_on"], t["due_at"], t["start_on"] = due_on, due_at, start_on
        self._record_change(t, "due_on", actor, ts)
        return True

    def _update_notes(self, t: dict, data: dict, actor: str | None, who: str) -> bool:
        """notes or html_notes (the other one derived from it); no system story is recorded for them."""
        if "notes" not in data and "html_notes" not in data:
            return False
        notes = data.get("notes")
        if notes is None:
            notes = _strip_tags(data["html_notes"])
        if notes == t["notes"]:
            return False
        ts = self.now_ms()
        t["notes"] = notes
        t["html_notes"] = data.get("html_notes") or f"<body>{_esc(notes)}</body>"
        self._record_change(t, "notes", actor, ts)
        return True

    def _update_custom_fields(self, t: dict, data: dict, actor: str | None, who: str) -> bool:
        changed = False
        for cf, v in (data.get("custom_fields") or {}).items():
            c = self.get("custom_field", cf)
            v = self._coerce_cf(cf, v)
            old = t["custom_field_values"].get(cf)
            if v == old and cf in t["custom_field_values"]:
                continue
            ts = self.now_ms()
            sub = c["resource_subtype"]
            fields: dict[str, Any] = {"custom_field": cf}
            if sub in ("enum", "text", "date", "number"):
                # multi_enum and people change stories carry no values (so asana_sim/history.py cannot
                # replay those fields)
                fields[f"old_{sub}_value"], fields[f"new_{sub}_value"] = old, v
            self._system_story(t, _CF_CHANGED_STORY[sub], actor, ts, f"{who} changed {c['name']}", **fields)
            t["custom_field_values"][cf] = v
            self._record_change(t, "custom_fields", actor, ts)
            changed = True
        return changed

    def _record_change(self, t: dict, field: str, actor: str | None, ts: int) -> None:
        """A change of the task's own field: bumps modified_at and tells the Events API."""
        self._touch(t, ts)
        self._change(t, field, actor, ts)

    def _change(self, t: dict, field: str, actor: str | None, ts: int) -> None:
        self._task_event(t, "changed", actor, ts, change={"field": field, "action": "changed"})

    def delete_task(self, gid: str, actor: str | None) -> None:
        """DELETE /tasks/{gid}: the task and its whole subtask tree vanish."""
        t = self.get("task", gid)
        for sub in self.subtasks_of(gid):
            self.delete_task(sub, actor)
        ts = self.now_ms()
        self._task_event(t, "deleted", actor, ts)
        for m in t["memberships"]:
            self.ix_project_tasks[m["project"]].remove(gid)
            if m["section"]:
                self.ix_section_tasks[m["section"]].remove(gid)
        for tag in t["tags"]:
            self.ix_tag_tasks[tag].remove(gid)
        if t["assignee"]:
            self.ix_assignee_tasks[f"{t['assignee']}/{t['workspace']}"].remove(gid)
        if t["parent"] and t["parent"] in self.ix_subtasks:
            self.ix_subtasks[t["parent"]].remove(gid)
        self.ix_ws_tasks[t["workspace"]].remove(gid)
        for s in self.stories_of(gid):
            self.stories.pop(s, None)
        self.ix_task_stories.pop(gid, None)
        for a in list(self.ix_task_attachments.get(gid, ())):
            self.attachments.pop(a, None)
        self.ix_task_attachments.pop(gid, None)
        for other in self.dependents_of(gid):
            deps = self.tasks[other]["dependencies"]
            if gid in deps:
                deps.remove(gid)
                # the dependent lost an association: modified_since sees it, its modified_at stays
                self._associate(other, ts)
                self._task_event(self.tasks[other], "changed", actor, ts,
                                 change={"field": "dependencies", "action": "removed",
                                         "removed_value": {"gid": gid, "resource_type": "task"}})
                self.compact_cache.pop(other, None)
        for d in t["dependencies"]:
            if d in self._dependents and gid in self._dependents[d]:
                self._dependents[d].remove(gid)
        del self.tasks[gid]
        self._invalidate(gid)

    def add_comment(self, gid: str, text: str, actor: str | None, html_text: str | None = None) -> dict:
        t = self.get("task", gid)
        ts = self.now_ms()
        s = {
            "gid": self.new_gid(), "target": gid, "created_at": iso_ms(ts), "created_by": actor,
            "resource_subtype": "comment_added", "type": "comment", "text": text,
            "html_text": html_text or f"<body>{_esc(text)}</body>", "is_pinned": False,
        }
        self.add_story(s)
        self._touch(t, ts)
        self._event([gid, *self.projects_of(gid)], {
            "user": {"gid": actor, "resource_type": "user", "name": self.users[actor]["name"]} if actor else None,
            "resource": {"gid": s["gid"], "resource_type": "story", "name": ""},
            "type": "story", "action": "added",
            "parent": {"gid": gid, "resource_type": "task", "name": t["name"]},
            "created_at": s["created_at"],
        })
        self._invalidate(gid)
        return s

    def delete_story(self, gid: str, actor: str | None) -> None:
        s = self.get("story", gid)
        t = self.tasks.get(s["target"])
        del self.stories[gid]
        if s["target"] in self.ix_task_stories:
            self.ix_task_stories[s["target"]].remove(gid)
        if t is not None:
            ts = self.now_ms()
            self._touch(t, ts)
            self._event([t["gid"], *self.projects_of(t["gid"])], {
                "user": {"gid": actor, "resource_type": "user", "name": self.users[actor]["name"]} if actor else None,
                "resource": {"gid": gid, "resource_type": "story", "name": ""},
                "type": "story", "action": "removed",
                "parent": {"gid": t["gid"], "resource_type": "task", "name": t["name"]},
                "created_at": iso_ms(ts),
            })
            self._invalidate(t["gid"])

    def add_tag_to_task(self, gid: str, tag: str, actor: str | None) -> None:
        t = self.get("task", gid)
        self.get("tag", tag)
        if tag not in t["tags"]:
            t["tags"].append(tag)
            self.ix_tag_tasks[tag].append(gid, self.next_key())
            ts = self.now_ms()
            self._associate(gid, ts)
            self._task_event(t, "changed", actor, ts,
                             change={"field": "tags", "action": "added",
                                     "added_value": {"gid": tag, "resource_type": "tag"}})
            self._invalidate(gid)

    def remove_tag_from_task(self, gid: str, tag: str, actor: str | None) -> None:
        t = self.get("task", gid)
        if tag in t["tags"]:
            t["tags"].remove(tag)
            self.ix_tag_tasks[tag].remove(gid)
            ts = self.now_ms()
            self._associate(gid, ts)
            self._task_event(t, "changed", actor, ts,
                             change={"field": "tags", "action": "removed",
                                     "removed_value": {"gid": tag, "resource_type": "tag"}})
            self._invalidate(gid)

    def add_task_to_project(self, gid: str, project: str, section: str | None, actor: str | None) -> None:
        """addProject / sections addTask. Never bumps modified_at (moves are invisible)."""
        t = self.get("task", gid)
        p = self.get("project", project)
        if section:
            if self.get("section", section)["project"] != project:
                raise BadInput("section: Section is not in the given project")
        else:
            secs = self.ix_project_sections.get(project)
            section = None
            existing = next((m for m in t["memberships"] if m["project"] == project), None)
            if existing:
                section = existing["section"]
            elif secs:
                section = secs.gids[0]
        ts = self.now_ms()
        existing = next((m for m in t["memberships"] if m["project"] == project), None)
        if existing is None or existing["section"] != section:
            self._associate(gid, ts)
        if existing is None:
            t["memberships"].append({"project": project, "section": section})
            self.ix_project_tasks[project].append(gid, self.next_key())
            if section:
                self.ix_section_tasks[section].append(gid, self.next_key())
            for cf in p["custom_field_settings"]:
                t["custom_field_values"].setdefault(cf, None)
            self._task_event(t, "added", actor, ts, parent=self._project_ref(project))
        elif existing["section"] != section:
            old = existing["section"]
            if old:
                self.ix_section_tasks[old].remove(gid)
            self.ix_section_tasks[section].append(gid, self.next_key())
            existing["section"] = section
            self._system_story(t, "section_changed", actor, ts,
                               f"{self._actor_name(actor)} moved this task from \"{self.sections[old]['name'] if old else ''}\""
                               f" to \"{self.sections[section]['name']}\" in {p['name']}",
                               old_section=old, new_section=section)
            self._task_event(t, "changed", actor, ts, change={"field": "memberships", "action": "changed"})
            # Asana also reports a move as the task being added to its new section (parent = section).
            self._task_event(t, "added", actor, ts, parent={"gid": section, "resource_type": "section",
                                                             "name": self.sections[section]["name"]})
        self._invalidate(gid)

    def remove_task_from_project(self, gid: str, project: str, actor: str | None) -> None:
        t = self.get("task", gid)
        self.get("project", project)
        m = next((m for m in t["memberships"] if m["project"] == project), None)
        if m is None:
            return
        ts = self.now_ms()
        self._associate(gid, ts)
        t["memberships"].remove(m)
        self.ix_project_tasks[project].remove(gid)
        if m["section"]:
            self.ix_section_tasks[m["section"]].remove(gid)
        self._task_event(t, "removed", actor, ts, parent=self._project_ref(project), extra_projects=[project])
        self._invalidate(gid)

    def set_parent(self, gid: str, parent: str | None, actor: str | None) -> None:
        t = self.get("task", gid)
        if parent:
            self.get("task", parent)
            p = parent
            while p:
                if p == gid:
                    raise BadInput("parent: A task cannot be its own ancestor")
                p = self.tasks[p]["parent"]
        if t["parent"]:
            self.ix_subtasks[t["parent"]].remove(gid)
        t["parent"] = parent
        if parent:
            self.ix_subtasks[parent].append(gid, self.next_key())
        ts = self.now_ms()
        self._associate(gid, ts)
        self._task_event(t, "changed", actor, ts, change={"field": "parent", "action": "changed"})
        self._invalidate(gid)

    def set_followers(self, gid: str, users: list[str], add: bool, actor: str | None) -> dict:
        t = self.get("task", gid)
        for u in users:
            self.get("user", u)
            if add and u not in t["followers"]:
                t["followers"].append(u)
            elif not add and u in t["followers"]:
                t["followers"].remove(u)
        ts = self.now_ms()
        self._associate(gid, ts)
        self._task_event(t, "changed", actor, ts,
                         change={"field": "followers", "action": "added" if add else "removed"})
        self._invalidate(gid)
        return t

    def delete_project(self, gid: str, actor: str | None) -> None:
        """Tasks lose the membership but survive (orphaned if it was their only project)."""
        p = self.get("project", gid)
        for tg in self.tasks_in_project(gid):
            t = self.tasks[tg]
            ts = self.now_ms()
            self._associate(tg, ts)
            self._task_event(t, "removed", actor, ts, parent=self._project_ref(gid))
            t["memberships"] = [m for m in t["memberships"] if m["project"] != gid]
            self.compact_cache.pop(tg, None)
        for s in list(self.ix_project_sections.get(gid, ())):
            self.sections.pop(s, None)
            self.ix_section_tasks.pop(s, None)
        self.ix_project_sections.pop(gid, None)
        self.ix_project_tasks.pop(gid, None)
        self.ix_ws_projects[p["workspace"]].remove(gid)
        if p["team"]:
            self.ix_team_projects[p["team"]].remove(gid)
        for cf in p["custom_field_settings"]:
            g = self.cfs_gid.pop((gid, cf), None)
            self.cfs_by_gid.pop(g, None)
            self.custom_field_settings.pop(g, None)
        for kind, field in (("project_membership", "project"), ("project_status", "project"),
                            ("project_brief", "project"), ("status_update", "parent")):
            for g in [r["gid"] for r in getattr(self, _PLURAL[kind]).values() if r[field] == gid]:
                self.remove(kind, g)
        for g in [r["gid"] for r in self.goal_relationships.values() if r["supporting_resource"] == gid]:
            self.remove("goal_relationship", g)
        for pf in self.portfolios.values():
            if gid in pf["items"]:
                pf["items"].remove(gid)
        del self.projects[gid]
        self._invalidate(gid)

    def create_project(self, data: dict, actor: str | None) -> dict:
        """POST /projects: needs workspace or team; in an organization a team (as in Asana)."""
        team, ws = data.get("team"), data.get("workspace")
        if team:
            ws = ws or self.get("team", team)["organization"]
        if not ws:
            raise BadInput("workspace: Missing input")
        if self.get("workspace", ws)["is_organization"] and not team:
            raise BadInput("team: Must specify a team when creating a project in an organization")
        ts = self.now_ms()
        g = self.new_gid()
        owner = actor if data.get("owner", "me") in ("me", None) else data["owner"]
        members = list(dict.fromkeys([u for u in (actor, owner) if u]))
        p = {"gid": g, "name": data.get("name", ""), "workspace": ws, "team": team, "owner": owner,
             "archived": bool(data.get("archived", False)), "color": data.get("color") or "none",
             "created_at": iso_ms(ts), "modified_at": iso_ms(ts), "due_on": data.get("due_on"),
             "start_on": data.get("start_on"), "notes": data.get("notes", ""),
             "html_notes": data.get("html_notes") or f"<body>{_esc(data.get('notes', ''))}</body>",
             "privacy_setting": data.get("privacy_setting") or "public_to_workspace", "completed": False,
             "completed_at": None, "default_view": data.get("default_view") or "list",
             "permalink_url": f"https://app.asana.com/0/{g}/{g}", "members": members, "followers": members[:1],
             "custom_field_settings": []}
        self.add_project(p)
        for u in members:
            self.add("project_membership", {"gid": self.new_gid(), "project": g, "user": u,
                                            "access_level": "admin", "write_access": "full_write"})
        self._invalidate()
        return p

    def update_project(self, gid: str, data: dict, actor: str | None) -> dict:
        """PUT /projects/{gid}: plain fields; bumps the project's modified_at."""
        p = self.get("project", gid)
        changed = []
        for k in ("name", "archived", "color", "notes", "due_on", "start_on", "default_view", "privacy_setting"):
            if k in data and data[k] != p[k]:
                p[k] = bool(data[k]) if k == "archived" else data[k]
                changed.append(k)
                if k == "notes":
                    p["html_notes"] = f"<body>{_esc(data[k] or '')}</body>"
        if "completed" in data and bool(data["completed"]) != p["completed"]:
            p["completed"] = bool(data["completed"])
            p["completed_at"] = iso_ms(self.now_ms()) if p["completed"] else None
            changed.append("completed")
        if "owner" in data:
            p["owner"] = actor if data["owner"] == "me" else data["owner"]
            changed.append("owner")
        if changed:
            ts = self.now_ms()
            p["modified_at"] = iso_ms(ts)
            for f in changed:
                self._event([gid], {
                    "user": {"gid": actor, "resource_type": "user", "name": self.users[actor]["name"]} if actor else None,
                    "resource": {"gid": gid, "resource_type": "project", "name": p["name"]},
                    "type": "project", "action": "changed", "parent": None, "created_at": iso_ms(ts),
                    "change": {"field": f, "action": "changed"}})
            self._invalidate(gid)
        return p

    def create_tag(self, data: dict) -> dict:
        ws = data.get("workspace")
        if not ws:
            raise BadInput("workspace: Missing input")
        self.get("workspace", ws)
        g = self.new_gid()
        t = {"gid": g, "name": data.get("name", ""), "workspace": ws, "color": data.get("color"),
             "notes": data.get("notes", ""), "created_at": iso_ms(self.now_ms()),
             "permalink_url": f"https://app.asana.com/0/{g}/list"}
        self.add_tag(t)
        self._invalidate()
        return t

    def create_attachment(self, data: dict, actor: str | None) -> dict:
        """POST /attachments (JSON form of an external link): attachment + `attachment_added` story."""
        parent = data.get("parent")
        if not parent:
            raise BadInput("parent: Missing input")
        t = self.get("task", parent)
        url = data.get("url")
        if not url:
            raise BadInput("url: Missing input")
        ts = self.now_ms()
        g = self.new_gid()
        a = {"gid": g, "name": data.get("name") or url, "parent": parent, "created_at": iso_ms(ts),
             "resource_subtype": data.get("resource_subtype") or "external", "size": 0, "host": "external",
             "view_url": url, "permanent_url": url}
        self.add_attachment(a)
        self._system_story(t, "attachment_added", actor, ts, f"{self._actor_name(actor)} attached {a['name']}")
        self._touch(t, ts)
        self._change(t, "attachments", actor, ts)
        self._invalidate(parent)
        return a

    def delete_attachment(self, gid: str, actor: str | None) -> None:
        a = self.get("attachment", gid)
        del self.attachments[gid]
        if a["parent"] in self.ix_task_attachments:
            self.ix_task_attachments[a["parent"]].remove(gid)
        t = self.tasks.get(a["parent"])
        if t is not None:
            ts = self.now_ms()
            self._touch(t, ts)
            self._change(t, "attachments", actor, ts)
            self._invalidate(t["gid"])

    def create_section(self, project: str, name: str) -> dict:
        self.get("project", project)
        s = {"gid": self.new_gid(), "name": name, "project": project, "created_at": iso_ms(self.now_ms())}
        self.add_section(s)
        self._invalidate()
        return s

    def delete_section(self, gid: str) -> None:
        s = self.get("section", gid)
        if len(self.ix_section_tasks.get(gid, ())):
            raise BadInput("Section must be empty before it can be deleted")
        secs = self.ix_project_sections[s["project"]]
        if len(secs) <= 1:
            raise BadInput("Cannot delete the last section of a project")
        secs.remove(gid)
        self.ix_section_tasks.pop(gid, None)
        del self.sections[gid]
        self._invalidate(gid)

    def delete_tag(self, gid: str, actor: str | None) -> None:
        tag = self.get("tag", gid)
        for tg in list(self.ix_tag_tasks.get(gid, ())):
            self.tasks[tg]["tags"].remove(gid)
            self.compact_cache.pop(tg, None)
        self.ix_tag_tasks.pop(gid, None)
        self.ix_ws_tags[tag["workspace"]].remove(gid)
        del self.tags[gid]
        self._invalidate(gid)


_PLURAL = {
    "workspace": "workspaces", "user": "users", "team": "teams", "team_membership": "team_memberships",
    "project": "projects", "section": "sections", "tag": "tags", "custom_field": "custom_fields",
    "task": "tasks", "story": "stories", "attachment": "attachments",
    "custom_field_setting": "custom_field_settings", "workspace_membership": "workspace_memberships",
    "project_membership": "project_memberships", "status_update": "status_updates",
    "project_status": "project_statuses", "project_brief": "project_briefs", "project_template": "project_templates",
    "portfolio": "portfolios", "portfolio_membership": "portfolio_memberships", "goal": "goals",
    "goal_relationship": "goal_relationships", "time_period": "time_periods",
    "time_tracking_entry": "time_tracking_entries", "user_task_list": "user_task_lists", "webhook": "webhooks",
}


# story subtype of a custom field change, by the field's subtype
_CF_CHANGED_STORY = {"enum": "enum_custom_field_changed", "number": "number_custom_field_changed",
                     "text": "text_custom_field_changed", "date": "date_custom_field_changed",
                     "multi_enum": "multi_enum_custom_field_changed", "people": "people_custom_field_changed"}


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _strip_tags(html: str) -> str:
    import re
    return re.sub(r"<[^>]+>", "", html)
