"""Store records -> API JSON, honouring `opt_fields`.

Lists answer the compact representation by default and single-object GETs the full one. `opt_fields`
replaces either: `gid` (and `resource_type`) always come back, dot paths (`memberships.section.name`)
select fields of nested objects, and `this.(a|b).c` expands to `a.c,b.c`. Fields a resource does not
have are ignored, as are conditional story fields that do not apply to a story's subtype.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable

from .store import _PLURAL, Store


class Ref:
    """A reference to another record, rendered compact unless a dot path asks for more."""

    __slots__ = ("kind", "gid")

    def __init__(self, kind: str, gid: str):
        self.kind, self.gid = kind, gid


_GROUP = re.compile(r"^(?:this\.)?\(([^)]*)\)(.*)$")


@lru_cache(maxsize=4096)
def parse_opt_fields(spec: str) -> dict:
    """`"name,memberships.section.name,this.(followers|assignee).email"` -> nested dict tree."""
    tree: dict = {}
    for raw in spec.split(","):
        raw = raw.strip()
        if not raw:
            continue
        paths = [raw]
        m = _GROUP.match(raw)
        if m:
            alts, rest = m.group(1), m.group(2)
            paths = [a + rest for a in alts.split("|") if a]
        for p in paths:
            if p.startswith("this."):
                p = p[5:]
            node = tree
            for part in p.split("."):
                node = node.setdefault(part, {})
    return tree


def _u(g):
    return Ref("user", g) if g else None


def _r(kind, g):
    return Ref(kind, g) if g else None


def _fmt_number(v: float, precision: int) -> str:
    return f"{v:.{precision}f}"


class Renderer:
    """Renders records of one store. Compact task/user/... dicts are cached until the store changes."""

    def __init__(self, store: Store):
        self.s = store
        s = store
        self._cf_memo: dict[tuple, dict] = {}
        self.fields: dict[str, dict[str, Callable[[dict], Any]]] = {
            "workspace": {
                "name": lambda o: o["name"], "is_organization": lambda o: o["is_organization"],
                "email_domains": lambda o: list(o["email_domains"]),
            },
            "user": {
                "name": lambda o: o["name"], "email": lambda o: o["email"], "photo": lambda o: None,
                "workspaces": lambda o: [Ref("workspace", w) for w in o["workspaces"]],
            },
            "team": {
                "name": lambda o: o["name"], "description": lambda o: o["description"],
                "html_description": lambda o: o["html_description"],
                "organization": lambda o: Ref("workspace", o["organization"]),
                "permalink_url": lambda o: o["permalink_url"], "visibility": lambda o: o["visibility"],
            },
            "team_membership": {
                "user": lambda o: Ref("user", o["user"]), "team": lambda o: Ref("team", o["team"]),
                "is_guest": lambda o: o["is_guest"], "is_limited_access": lambda o: o["is_limited_access"],
                "is_admin": lambda o: o["is_admin"],
            },
            "project": {
                "name": lambda o: o["name"], "archived": lambda o: o["archived"], "color": lambda o: o["color"],
                "created_at": lambda o: o["created_at"], "modified_at": lambda o: o["modified_at"],
                "custom_field_settings": lambda o: [self._cfs(o["gid"], c) for c in o["custom_field_settings"]],
                "custom_fields": lambda o: [self._cf_value_obj(c, None) for c in o["custom_field_settings"]][:0],
                "default_view": lambda o: o["default_view"], "due_on": lambda o: o["due_on"],
                "due_date": lambda o: o["due_on"], "start_on": lambda o: o["start_on"],
                "html_notes": lambda o: o["html_notes"], "notes": lambda o: o["notes"],
                "members": lambda o: [Ref("user", u) for u in o["members"]],
                "followers": lambda o: [Ref("user", u) for u in o["followers"]],
                "public": lambda o: o["privacy_setting"] == "public_to_workspace",
                "privacy_setting": lambda o: o["privacy_setting"],
                "completed": lambda o: o["completed"], "completed_at": lambda o: o["completed_at"],
                "owner": lambda o: _u(o["owner"]),
                "team": lambda o: Ref("team", o["team"]) if o["team"] else None,
                "workspace": lambda o: Ref("workspace", o["workspace"]),
                "permalink_url": lambda o: o["permalink_url"], "icon": lambda o: "list",
                "project_brief": lambda o: _r("project_brief", s.brief_of(o["gid"])),
                "current_status_update": lambda o: _r("status_update", s.latest_status_update(o["gid"])),
                "current_status": lambda o: _r("project_status", s.latest_project_status(o["gid"])),
            },
            "section": {
                "name": lambda o: o["name"], "created_at": lambda o: o["created_at"],
                "project": lambda o: Ref("project", o["project"]),
                "projects": lambda o: [Ref("project", o["project"])],
            },
            "tag": {
                "name": lambda o: o["name"], "color": lambda o: o["color"], "notes": lambda o: o["notes"],
                "created_at": lambda o: o["created_at"], "followers": lambda o: [],
                "workspace": lambda o: Ref("workspace", o["workspace"]),
                "permalink_url": lambda o: o["permalink_url"],
            },
            "custom_field": {
                "name": lambda o: o["name"], "type": lambda o: o["resource_subtype"],
                "resource_subtype": lambda o: o["resource_subtype"],
                "representation_type": lambda o: o["resource_subtype"],
                "description": lambda o: o["description"],
                "precision": lambda o: o["precision"],
                "enum_options": lambda o: [self._opt(x) for x in o["enum_options"]],
                "enabled": lambda o: True,
                "is_global_to_workspace": lambda o: o["is_global_to_workspace"],
                "has_notifications_enabled": lambda o: False,
                "is_formula_field": lambda o: False,
                "is_value_read_only": lambda o: False,
                "format": lambda o: "custom" if o["resource_subtype"] == "number" else "none",
            },
            "custom_field_setting": {
                "project": lambda o: o.get("project", _ABSENT),
                "parent": lambda o: o["parent"],
                "is_important": lambda o: o["is_important"],
                "custom_field": lambda o: o["custom_field"],
            },
            "task": {
                "name": lambda o: o["name"], "resource_subtype": lambda o: o["resource_subtype"],
                "approval_status": lambda o: "pending" if o["resource_subtype"] == "approval" else _ABSENT,
                "assignee_status": lambda o: "inbox" if o["assignee"] else _ABSENT,
                "completed": lambda o: o["completed"], "completed_at": lambda o: o["completed_at"],
                "completed_by": lambda o: _u(o["completed_by"]),
                "created_at": lambda o: o["created_at"], "modified_at": lambda o: o["modified_at"],
                "dependencies": lambda o: [{"gid": d, "resource_type": "task"} for d in o["dependencies"] if d in s.tasks],
                "dependents": lambda o: [{"gid": d, "resource_type": "task"} for d in s.dependents_of(o["gid"])],
                "due_at": lambda o: o["due_at"], "due_on": lambda o: o["due_on"],
                "start_at": lambda o: o["start_at"], "start_on": lambda o: o["start_on"],
                "html_notes": lambda o: o["html_notes"], "notes": lambda o: o["notes"],
                "hearted": lambda o: False, "hearts": lambda o: [], "liked": lambda o: False, "likes": lambda o: [],
                "num_hearts": lambda o: o["num_likes"], "num_likes": lambda o: o["num_likes"],
                "is_rendered_as_separator": lambda o: False,
                "memberships": lambda o: [
                    {"project": Ref("project", m["project"]),
                     "section": Ref("section", m["section"]) if m["section"] else None} for m in o["memberships"]],
                "num_subtasks": lambda o: s.num_subtasks(o["gid"]),
                "assignee": lambda o: _u(o["assignee"]),
                "custom_fields": lambda o: [self._cf_value_obj(c, v) for c, v in o["custom_field_values"].items()
                                            if c in s.custom_fields],
                "followers": lambda o: [Ref("user", u) for u in o["followers"]],
                "parent": lambda o: Ref("task", o["parent"]) if o["parent"] else None,
                "projects": lambda o: [Ref("project", m["project"]) for m in o["memberships"]],
                "tags": lambda o: [Ref("tag", t) for t in o["tags"]],
                "workspace": lambda o: Ref("workspace", o["workspace"]),
                "permalink_url": lambda o: o["permalink_url"],
                "actual_time_minutes": lambda o: None,
            },
            "story": self._story_fields(),
            "attachment": {
                "name": lambda o: o["name"], "resource_subtype": lambda o: o["resource_subtype"],
                "created_at": lambda o: o["created_at"], "download_url": lambda o: o["permanent_url"] + "&download=1",
                "permanent_url": lambda o: o["permanent_url"], "host": lambda o: o["host"],
                "parent": lambda o: Ref("task", o["parent"]), "size": lambda o: o["size"],
                "view_url": lambda o: o["view_url"], "connected_to_app": lambda o: False,
            },
        }
        self.fields.update(self._coverage_fields())
        self.compact = {
            "task": ("name", "resource_subtype"),
            "story": ("created_at", "created_by", "resource_subtype", "text", "type"),
            "team_membership": ("user", "team", "is_guest", "is_limited_access", "is_admin"),
            "custom_field": ("name", "resource_subtype", "type", "is_formula_field", "is_value_read_only",
                             "enum_options", "enabled", "representation_type", "precision"),
            "custom_field_setting": ("project", "is_important", "parent", "custom_field"),
            "attachment": ("name", "resource_subtype"),
            "section": ("name",), "project": ("name",), "tag": ("name",), "user": ("name",),
            "workspace": ("name",), "team": ("name",),
            "workspace_membership": ("user", "workspace"),
            "project_membership": ("parent", "member", "access_level"),
            "status_update": ("title", "resource_subtype"), "project_status": ("title",), "project_brief": (),
            "project_template": ("name",), "portfolio": ("name",),
            "portfolio_membership": ("portfolio", "user", "access_level"), "goal": ("name", "owner"),
            "goal_relationship": ("resource_subtype", "supporting_resource", "contribution_weight"),
            "time_period": ("end_on", "start_on", "period", "display_name"),
            "time_tracking_entry": ("duration_minutes", "entered_on", "attributable_to", "created_by"),
            "user_task_list": ("name", "owner", "workspace"),
            "webhook": ("active", "resource", "target"),
        }
        self.full = {k: tuple(v) for k, v in self.fields.items()}
        self.full["project"] = tuple(f for f in self.full["project"] if f != "custom_fields")

    # ------------------------------------------------------------------ helpers
    def _story_fields(self) -> dict:

        def opt_ref(key):
            return lambda o: self._enum_opt(o[key]) if o.get(key) else None

        def cond(key, conv=lambda v: v):
            return lambda o: conv(o[key]) if key in o else _ABSENT

        return {
            "created_at": lambda o: o["created_at"], "resource_subtype": lambda o: o["resource_subtype"],
            "text": lambda o: o["text"], "html_text": cond("html_text"), "is_pinned": lambda o: o["is_pinned"],
            "created_by": lambda o: _u(o["created_by"]), "type": lambda o: o["type"],
            "is_editable": lambda o: o["type"] == "comment", "is_edited": lambda o: False,
            "hearted": lambda o: False, "hearts": lambda o: [], "num_hearts": lambda o: 0,
            "liked": lambda o: False, "likes": lambda o: [], "num_likes": lambda o: 0,
            "previews": lambda o: [], "source": lambda o: "web" if o["created_by"] else "api",
            "target": lambda o: Ref("task", o["target"]),
            "old_name": cond("old_name"), "new_name": cond("new_name"),
            "old_dates": cond("old_dates", dict), "new_dates": cond("new_dates", dict),
            "assignee": cond("assignee", _u),
            "old_section": cond("old_section", lambda g: Ref("section", g) if g else None),
            "new_section": cond("new_section", lambda g: Ref("section", g) if g else None),
            "custom_field": cond("custom_field", lambda g: Ref("custom_field", g)),
            "old_text_value": cond("old_text_value"), "new_text_value": cond("new_text_value"),
            "old_number_value": cond("old_number_value"), "new_number_value": cond("new_number_value"),
            "old_enum_value": cond("old_enum_value", self._enum_opt),
            "new_enum_value": cond("new_enum_value", self._enum_opt),
            "old_date_value": cond("old_date_value", lambda d: {"date": d} if d else None),
            "new_date_value": cond("new_date_value", lambda d: {"date": d} if d else None),
        }

    def _opt(self, x: dict) -> dict:
        return {"gid": x["gid"], "resource_type": "enum_option", "name": x["name"], "color": x["color"],
                "enabled": x["enabled"]}

    def _enum_opt(self, gid: str | None):
        if not gid:
            return None
        for c in self.s.custom_fields.values():
            for x in c["enum_options"]:
                if x["gid"] == gid:
                    return self._opt(x)
        return {"gid": gid, "resource_type": "enum_option"}

    def _cfs(self, parent: str, cf: str) -> dict:
        g = self.s.cfs_gid.get((parent, cf), cf)
        rec = self.s.custom_field_settings.get(g)
        ptype = rec["parent_type"] if rec else "project"
        out = {"gid": g, "resource_type": "custom_field_setting", "parent": Ref(ptype, parent),
               "custom_field": Ref("custom_field", cf), "is_important": bool(rec and rec["is_important"])}
        if ptype == "project":
            out["project"] = Ref("project", parent)
        return out

    def _coverage_fields(self) -> dict:
        s = self.s
        likes = {"hearted": lambda o: False, "hearts": lambda o: [], "liked": lambda o: False,
                 "likes": lambda o: [], "num_hearts": lambda o: 0, "num_likes": lambda o: 0}
        return {
            "workspace_membership": {
                "user": lambda o: _u(o["user"]), "workspace": lambda o: Ref("workspace", o["workspace"]),
                "user_task_list": lambda o: _r("user_task_list", s.user_task_list_of(o["user"], o["workspace"])),
                "is_active": lambda o: o["is_active"], "is_admin": lambda o: o["is_admin"],
                "is_guest": lambda o: o["is_guest"], "is_view_only": lambda o: o["is_view_only"],
                "vacation_dates": lambda o: None, "created_at": lambda o: o["created_at"],
            },
            "project_membership": {
                "parent": lambda o: Ref("project", o["project"]), "member": lambda o: _u(o["user"]),
                "access_level": lambda o: o["access_level"], "user": lambda o: _u(o["user"]),
                "project": lambda o: Ref("project", o["project"]), "write_access": lambda o: o["write_access"],
            },
            "status_update": {
                "title": lambda o: o["title"], "resource_subtype": lambda o: o["resource_subtype"],
                "text": lambda o: o["text"], "html_text": lambda o: o["html_text"],
                "status_type": lambda o: o["status_type"], "author": lambda o: _u(o["author"]),
                "created_at": lambda o: o["created_at"], "created_by": lambda o: _u(o["created_by"]),
                "modified_at": lambda o: o["modified_at"], **likes,
                "parent": lambda o: Ref(o["parent_type"], o["parent"]),
            },
            "project_status": {
                "title": lambda o: o["title"], "text": lambda o: o["text"], "html_text": lambda o: o["html_text"],
                "color": lambda o: o["color"], "author": lambda o: _u(o["author"]),
                "created_at": lambda o: o["created_at"], "created_by": lambda o: _u(o["created_by"]),
                "modified_at": lambda o: o["modified_at"],
            },
            "project_brief": {
                "title": lambda o: o["title"], "html_text": lambda o: o["html_text"], "text": lambda o: o["text"],
                "permalink_url": lambda o: o["permalink_url"], "project": lambda o: Ref("project", o["project"]),
            },
            "project_template": {
                "name": lambda o: o["name"], "description": lambda o: o["description"],
                "html_description": lambda o: o["html_description"], "public": lambda o: o["public"],
                "owner": lambda o: _u(o["owner"]), "team": lambda o: Ref("team", o["team"]) if o["team"] else None,
                "requested_dates": lambda o: [], "color": lambda o: o["color"], "requested_roles": lambda o: [],
            },
            "portfolio": {
                "name": lambda o: o["name"], "archived": lambda o: o["archived"], "color": lambda o: o["color"],
                "start_on": lambda o: o["start_on"], "due_on": lambda o: o["due_on"],
                "default_access_level": lambda o: "editor",
                "created_at": lambda o: o["created_at"], "created_by": lambda o: _u(o["created_by"]),
                "custom_field_settings": lambda o: [self._cfs(o["gid"], c) for c in o["custom_field_settings"]],
                "current_status_update": lambda o: _r("status_update", s.latest_status_update(o["gid"])),
                "custom_fields": lambda o: [],
                "members": lambda o: [Ref("user", u) for u in o["members"]], "owner": lambda o: _u(o["owner"]),
                "workspace": lambda o: Ref("workspace", o["workspace"]),
                "permalink_url": lambda o: o["permalink_url"], "public": lambda o: o["public"],
                "privacy_setting": lambda o: "public_to_domain" if o["public"] else "members_only",
            },
            "portfolio_membership": {
                "portfolio": lambda o: Ref("portfolio", o["portfolio"]), "user": lambda o: _u(o["user"]),
                "access_level": lambda o: o["access_level"],
            },
            "goal": {
                "name": lambda o: o["name"], "html_notes": lambda o: o["html_notes"], "notes": lambda o: o["notes"],
                "due_on": lambda o: o["due_on"], "start_on": lambda o: o["start_on"],
                "is_workspace_level": lambda o: o["is_workspace_level"], "num_likes": lambda o: o["num_likes"],
                "likes": lambda o: [], "team": lambda o: Ref("team", o["team"]) if o["team"] else None,
                "workspace": lambda o: Ref("workspace", o["workspace"]),
                "followers": lambda o: [Ref("user", u) for u in o["followers"]],
                "time_period": lambda o: _r("time_period", o["time_period"]),
                "metric": lambda o: {"resource_type": "goal_metric", **o["metric"]} if o["metric"] else None,
                "owner": lambda o: _u(o["owner"]),
                "current_status_update": lambda o: _r("status_update", s.latest_status_update(o["gid"])),
                "status": lambda o: o["status"], "privacy_setting": lambda o: o["privacy_setting"],
            },
            "goal_relationship": {
                "resource_subtype": lambda o: o["resource_subtype"],
                "supporting_resource": lambda o: Ref(o["supporting_resource_type"], o["supporting_resource"]),
                "contribution_weight": lambda o: o["contribution_weight"],
                "supported_goal": lambda o: Ref("goal", o["supported_goal"]),
            },
            "time_period": {
                "end_on": lambda o: o["end_on"], "start_on": lambda o: o["start_on"], "period": lambda o: o["period"],
                "display_name": lambda o: o["display_name"], "parent": lambda o: _r("time_period", o["parent"]),
            },
            "time_tracking_entry": {
                "duration_minutes": lambda o: o["duration_minutes"], "entered_on": lambda o: o["entered_on"],
                "attributable_to": lambda o: _r("project", o["attributable_to"]),
                "created_by": lambda o: _u(o["created_by"]), "task": lambda o: Ref("task", o["task"]),
                "created_at": lambda o: o["created_at"], "approval_status": lambda o: o["approval_status"],
                "billable_status": lambda o: o["billable_status"], "description": lambda o: o["description"],
            },
            "user_task_list": {
                "name": lambda o: o["name"], "owner": lambda o: _u(o["owner"]),
                "workspace": lambda o: Ref("workspace", o["workspace"]),
            },
            "webhook": {
                "active": lambda o: o["active"], "resource": lambda o: Ref(o["resource_type"], o["resource"]),
                "target": lambda o: o["target"], "created_at": lambda o: o["created_at"],
                "last_failure_at": lambda o: o["last_failure_at"],
                "last_failure_content": lambda o: o["last_failure_content"],
                "last_success_at": lambda o: o["last_success_at"], "delivery_retry_count": lambda o: 0,
                "filters": lambda o: [dict(f) for f in o["filters"]],
            },
        }

    def cfs_record(self, gid: str) -> dict:
        project, cf = self.s.custom_field_setting(gid)
        return self._cfs(project, cf)

    def _cf_value_obj(self, cf: str, v: Any) -> dict:
        # Custom field definitions never change through the API, so a (field, value) pair always
        # renders the same; the memo keeps broad opt_fields listings fast.
        key = (cf, tuple(v) if isinstance(v, list) else v)
        hit = self._cf_memo.get(key)
        if hit is None:
            hit = self._cf_memo[key] = self._cf_value_obj_uncached(cf, v)
        return hit

    def _cf_value_obj_uncached(self, cf: str, v: Any) -> dict:
        c = self.s.custom_fields[cf]
        sub = c["resource_subtype"]
        o = {"gid": cf, "resource_type": "custom_field", "name": c["name"], "type": sub, "resource_subtype": sub,
             "enabled": True, "representation_type": sub, "is_formula_field": False, "is_value_read_only": False,
             "description": c["description"]}
        disp = None
        if sub == "text":
            o["text_value"] = v
            disp = v
        elif sub == "number":
            o["number_value"] = v
            o["precision"] = c["precision"]
            disp = _fmt_number(v, c["precision"]) if v is not None else None
        elif sub == "enum":
            o["enum_options"] = [self._opt(x) for x in c["enum_options"]]
            ev = next((x for x in c["enum_options"] if x["gid"] == v), None) if v else None
            o["enum_value"] = self._opt(ev) if ev else None
            disp = ev["name"] if ev else None
        elif sub == "multi_enum":
            o["enum_options"] = [self._opt(x) for x in c["enum_options"]]
            sel = [x for x in c["enum_options"] if x["gid"] in (v or ())]
            o["multi_enum_values"] = [self._opt(x) for x in sel]
            disp = ", ".join(x["name"] for x in sel) if sel else None
        elif sub == "date":
            o["date_value"] = {"date": v} if v else None
            disp = v
        elif sub == "people":
            o["people_value"] = [Ref("user", u) for u in (v or ()) if u in self.s.users]
            disp = ", ".join(self.s.users[u]["name"] for u in (v or ()) if u in self.s.users) or None
        o["display_value"] = disp
        return o

    # ------------------------------------------------------------------ rendering
    def render(self, kind: str, rec: dict, tree: dict | None, full: bool = False) -> dict:
        """`tree` is a parsed opt_fields tree; None means the default (compact, or full if `full`)."""
        if tree is None:
            if not full:
                cached = self.s.compact_cache.get(rec["gid"])
                if cached is not None:
                    return cached
                out = self._render_fields(kind, rec, self.compact.get(kind, ("name",)), None)
                if kind != "custom_field_setting":
                    self.s.compact_cache[rec["gid"]] = out
                return out
            return self._render_fields(kind, rec, self.full.get(kind, ("name",)), None)
        return self._render_fields(kind, rec, tree, tree)

    def _render_fields(self, kind: str, rec: dict, names, tree: dict | None) -> dict:
        getters = self.fields[kind]
        out = {"gid": rec["gid"], "resource_type": kind}
        for f in names:
            g = getters.get(f)
            if g is None:
                continue
            v = g(rec)
            if v is _ABSENT:
                continue
            out[f] = self._value(v, tree[f] if tree is not None else None)
        return out

    def _value(self, v: Any, sub: dict | None):
        if isinstance(v, Ref):
            return self.ref(v, sub)
        if isinstance(v, list):
            return [self._value(x, sub) for x in v]
        if isinstance(v, dict):
            if sub:
                out = {k: v[k] for k in ("gid", "resource_type") if k in v}
                for k, st in sub.items():
                    if k in v:
                        out[k] = self._value(v[k], st)
                return out
            return {k: self._value(x, None) for k, x in v.items()}
        return v

    def ref(self, r: Ref, sub: dict | None):
        rec = self.lookup(r.kind, r.gid)
        if rec is None:
            return {"gid": r.gid, "resource_type": r.kind}
        if not sub:
            if r.kind == "custom_field":
                return {"gid": r.gid, "resource_type": "custom_field", "name": rec["name"],
                        "resource_subtype": rec["resource_subtype"], "type": rec["resource_subtype"]}
            return self.render(r.kind, rec, None)
        return self._render_fields(r.kind, rec, sub, sub)

    def lookup(self, kind: str, gid: str):
        if kind == "custom_field_setting":
            try:
                return self.cfs_record(gid)
            except Exception:
                return None
        return getattr(self.s, _PLURAL[kind]).get(gid)


_ABSENT = object()
