"""The fields of every resource kind the API serves, as tables: for each field, how its value is read from a
store record. `render.py` compiles them into getters and walks them for each answer.

A table maps a field name to its spec, in the order the full representation lists the fields:

* `SAME`: the record's value under the field's own name; `copy_of(key)`: under another name;
* `const(value)` / `EMPTY_LIST`: a value no record stores (Asana's likes, hearts, ...);
* `ref(kind)`, `optional_ref(kind)`, `refs(kind)`: references to other records (a gid, a gid or None, a
  list of gids), rendered compact unless a dot path of `opt_fields` asks for more;
* `if_present(conv)`: a field only some records have (story fields that depend on the story's subtype);
  absent from the answer for the others;
* anything else is a function `(renderer, record) -> value`, for values computed from the store.

`COMPACT` lists the fields of the compact representation (lists answer it by default), `FULL` those of
the full one (single-object GETs).
"""
from __future__ import annotations

from functools import partial
from operator import itemgetter
from typing import Any, Callable

Getter = Callable[[dict], Any]


class Ref:
    """A reference to another record, rendered compact unless a dot path asks for more."""

    __slots__ = ("kind", "gid")

    def __init__(self, kind: str, gid: str):
        self.kind, self.gid = kind, gid


ABSENT = object()  # a getter's answer for a field this record does not have: left out of the answer


def _optional_ref(kind: str, gid: str | None) -> Ref | None:
    return Ref(kind, gid) if gid else None


class Spec:
    """A field read without the store: `make(field name)` gives its getter."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[str], Getter]):
        self.make = make


SAME = Spec(itemgetter)
EMPTY_LIST = Spec(lambda name: lambda o: [])   # a new list each time: answers are cached and serialized later


def copy_of(key: str) -> Spec:
    return Spec(lambda name: itemgetter(key))


def const(value: Any) -> Spec:
    return Spec(lambda name: lambda o: value)


def ref(kind: str, key: str | None = None) -> Spec:
    def make(name: str) -> Getter:
        k = key or name
        return lambda o: Ref(kind, o[k])
    return Spec(make)


def optional_ref(kind: str, key: str | None = None) -> Spec:
    def make(name: str) -> Getter:
        k = key or name
        return lambda o: _optional_ref(kind, o[k])
    return Spec(make)


def refs(kind: str) -> Spec:
    return Spec(lambda name: lambda o: [Ref(kind, g) for g in o[name]])


def if_present(conv: Callable[[Any], Any] | None = None) -> Spec:
    def make(name: str) -> Getter:
        if conv is None:
            return lambda o: o[name] if name in o else ABSENT
        return lambda o: conv(o[name]) if name in o else ABSENT
    return Spec(make)


def _changed_enum(key: str) -> Callable[[Any, dict], Any]:
    """An enum custom field story's old or new option, rendered from the field definitions."""
    return lambda r, o: r.enum_option_by_gid(o[key]) if key in o else ABSENT


def _date_value(d: str | None) -> dict | None:
    return {"date": d} if d else None


LIKES = {"hearted": const(False), "hearts": EMPTY_LIST, "liked": const(False), "likes": EMPTY_LIST,
         "num_hearts": const(0), "num_likes": const(0)}

WORKSPACE = {"name": SAME, "is_organization": SAME, "email_domains": lambda r, o: list(o["email_domains"])}

USER = {"name": SAME, "email": SAME, "photo": const(None), "workspaces": refs("workspace")}

TEAM = {"name": SAME, "description": SAME, "html_description": SAME, "organization": ref("workspace"),
        "permalink_url": SAME, "visibility": SAME}

TEAM_MEMBERSHIP = {"user": ref("user"), "team": ref("team"), "is_guest": SAME, "is_limited_access": SAME,
                   "is_admin": SAME}

PROJECT = {
    "name": SAME, "archived": SAME, "color": SAME, "created_at": SAME, "modified_at": SAME,
    "custom_field_settings": lambda r, o: [r.custom_field_setting(o["gid"], c) for c in o["custom_field_settings"]],
    "custom_fields": lambda r, o: [r.custom_field_value(c, None) for c in o["custom_field_settings"]][:0],
    "default_view": SAME, "due_on": SAME, "due_date": copy_of("due_on"), "start_on": SAME,
    "html_notes": SAME, "notes": SAME, "members": refs("user"), "followers": refs("user"),
    "public": lambda r, o: o["privacy_setting"] == "public_to_workspace",
    "privacy_setting": SAME, "completed": SAME, "completed_at": SAME, "owner": optional_ref("user"),
    "team": optional_ref("team"), "workspace": ref("workspace"), "permalink_url": SAME, "icon": const("list"),
    "project_brief": lambda r, o: _optional_ref("project_brief", r.s.brief_of(o["gid"])),
    "current_status_update": lambda r, o: _optional_ref("status_update", r.s.latest_status_update(o["gid"])),
    "current_status": lambda r, o: _optional_ref("project_status", r.s.latest_project_status(o["gid"])),
}

SECTION = {"name": SAME, "created_at": SAME, "project": ref("project"),
           "projects": lambda r, o: [Ref("project", o["project"])]}

TAG = {"name": SAME, "color": SAME, "notes": SAME, "created_at": SAME, "followers": EMPTY_LIST,
       "workspace": ref("workspace"), "permalink_url": SAME}

CUSTOM_FIELD = {
    "name": SAME, "type": copy_of("resource_subtype"), "resource_subtype": SAME,
    "representation_type": copy_of("resource_subtype"), "description": SAME, "precision": SAME,
    "enum_options": lambda r, o: [r.enum_option(x) for x in o["enum_options"]],
    "enabled": const(True), "is_global_to_workspace": SAME, "has_notifications_enabled": const(False),
    "is_formula_field": const(False), "is_value_read_only": const(False),
    "format": lambda r, o: "custom" if o["resource_subtype"] == "number" else "none",
}

# Rendered from the dict Renderer.custom_field_setting builds (references already made), not a store record.
CUSTOM_FIELD_SETTING = {"project": if_present(), "parent": SAME, "is_important": SAME, "custom_field": SAME}

TASK = {
    "name": SAME, "resource_subtype": SAME,
    "approval_status": lambda r, o: "pending" if o["resource_subtype"] == "approval" else ABSENT,
    "assignee_status": lambda r, o: "inbox" if o["assignee"] else ABSENT,
    "completed": SAME, "completed_at": SAME, "completed_by": optional_ref("user"),
    "created_at": SAME, "modified_at": SAME,
    "dependencies": lambda r, o: [{"gid": d, "resource_type": "task"} for d in o["dependencies"] if d in r.s.tasks],
    "dependents": lambda r, o: [{"gid": d, "resource_type": "task"} for d in r.s.dependents_of(o["gid"])],
    "due_at": SAME, "due_on": SAME, "start_at": SAME, "start_on": SAME, "html_notes": SAME, "notes": SAME,
    "hearted": const(False), "hearts": EMPTY_LIST, "liked": const(False), "likes": EMPTY_LIST,
    "num_hearts": copy_of("num_likes"), "num_likes": SAME, "is_rendered_as_separator": const(False),
    "memberships": lambda r, o: [{"project": Ref("project", m["project"]),
                                  "section": _optional_ref("section", m["section"])} for m in o["memberships"]],
    "num_subtasks": lambda r, o: r.s.num_subtasks(o["gid"]),
    "assignee": optional_ref("user"),
    "custom_fields": lambda r, o: [r.custom_field_value(c, v) for c, v in o["custom_field_values"].items()
                                   if c in r.s.custom_fields],
    "followers": refs("user"), "parent": optional_ref("task"),
    "projects": lambda r, o: [Ref("project", m["project"]) for m in o["memberships"]],
    "tags": refs("tag"), "workspace": ref("workspace"), "permalink_url": SAME, "actual_time_minutes": const(None),
}

# The fields after `target` belong to some subtypes only (name_changed, due_date_changed, assigned, ...).
STORY = {
    "created_at": SAME, "resource_subtype": SAME, "text": SAME, "html_text": if_present(), "is_pinned": SAME,
    "created_by": optional_ref("user"), "type": SAME,
    "is_editable": lambda r, o: o["type"] == "comment", "is_edited": const(False),
    "hearted": const(False), "hearts": EMPTY_LIST, "num_hearts": const(0),
    "liked": const(False), "likes": EMPTY_LIST, "num_likes": const(0),
    "previews": EMPTY_LIST, "source": lambda r, o: "web" if o["created_by"] else "api",
    "target": ref("task"),
    "old_name": if_present(), "new_name": if_present(),
    "old_dates": if_present(dict), "new_dates": if_present(dict),
    "assignee": if_present(lambda g: _optional_ref("user", g)),
    "old_section": if_present(lambda g: _optional_ref("section", g)),
    "new_section": if_present(lambda g: _optional_ref("section", g)),
    "custom_field": if_present(lambda g: Ref("custom_field", g)),
    "old_text_value": if_present(), "new_text_value": if_present(),
    "old_number_value": if_present(), "new_number_value": if_present(),
    "old_enum_value": _changed_enum("old_enum_value"), "new_enum_value": _changed_enum("new_enum_value"),
    "old_date_value": if_present(_date_value), "new_date_value": if_present(_date_value),
}

ATTACHMENT = {
    "name": SAME, "resource_subtype": SAME, "created_at": SAME,
    "download_url": lambda r, o: o["permanent_url"] + "&download=1", "permanent_url": SAME, "host": SAME,
    "parent": ref("task"), "size": SAME, "view_url": SAME, "connected_to_app": const(False),
}

# ---------------------------------------------------------------- full-coverage kinds

WORKSPACE_MEMBERSHIP = {
    "user": optional_ref("user"), "workspace": ref("workspace"),
    "user_task_list": lambda r, o: _optional_ref("user_task_list", r.s.user_task_list_of(o["user"], o["workspace"])),
    "is_active": SAME, "is_admin": SAME, "is_guest": SAME, "is_view_only": SAME,
    "vacation_dates": const(None), "created_at": SAME,
}

PROJECT_MEMBERSHIP = {"parent": ref("project", "project"), "member": optional_ref("user", "user"),
                      "access_level": SAME, "user": optional_ref("user"), "project": ref("project"),
                      "write_access": SAME}

STATUS_UPDATE = {
    "title": SAME, "resource_subtype": SAME, "text": SAME, "html_text": SAME, "status_type": SAME,
    "author": optional_ref("user"), "created_at": SAME, "created_by": optional_ref("user"), "modified_at": SAME,
    **LIKES,
    "parent": lambda r, o: Ref(o["parent_type"], o["parent"]),
}

PROJECT_STATUS = {"title": SAME, "text": SAME, "html_text": SAME, "color": SAME, "author": optional_ref("user"),
                  "created_at": SAME, "created_by": optional_ref("user"), "modified_at": SAME}

PROJECT_BRIEF = {"title": SAME, "html_text": SAME, "text": SAME, "permalink_url": SAME, "project": ref("project")}

PROJECT_TEMPLATE = {"name": SAME, "description": SAME, "html_description": SAME, "public": SAME,
                    "owner": optional_ref("user"), "team": optional_ref("team"), "requested_dates": EMPTY_LIST,
                    "color": SAME, "requested_roles": EMPTY_LIST}

PORTFOLIO = {
    "name": SAME, "archived": SAME, "color": SAME, "start_on": SAME, "due_on": SAME,
    "default_access_level": const("editor"), "created_at": SAME, "created_by": optional_ref("user"),
    "custom_field_settings": lambda r, o: [r.custom_field_setting(o["gid"], c) for c in o["custom_field_settings"]],
    "current_status_update": lambda r, o: _optional_ref("status_update", r.s.latest_status_update(o["gid"])),
    "custom_fields": EMPTY_LIST, "members": refs("user"), "owner": optional_ref("user"),
    "workspace": ref("workspace"), "permalink_url": SAME, "public": SAME,
    "privacy_setting": lambda r, o: "public_to_domain" if o["public"] else "members_only",
}

PORTFOLIO_MEMBERSHIP = {"portfolio": ref("portfolio"), "user": optional_ref("user"), "access_level": SAME}

GOAL = {
    "name": SAME, "html_notes": SAME, "notes": SAME, "due_on": SAME, "start_on": SAME,
    "is_workspace_level": SAME, "num_likes": SAME, "likes": EMPTY_LIST, "team": optional_ref("team"),
    "workspace": ref("workspace"), "followers": refs("user"), "time_period": optional_ref("time_period"),
    "metric": lambda r, o: {"resource_type": "goal_metric", **o["metric"]} if o["metric"] else None,
    "owner": optional_ref("user"),
    "current_status_update": lambda r, o: _optional_ref("status_update", r.s.latest_status_update(o["gid"])),
    "status": SAME, "privacy_setting": SAME,
}

GOAL_RELATIONSHIP = {
    "resource_subtype": SAME,
    "supporting_resource": lambda r, o: Ref(o["supporting_resource_type"], o["supporting_resource"]),
    "contribution_weight": SAME, "supported_goal": ref("goal"),
}

TIME_PERIOD = {"end_on": SAME, "start_on": SAME, "period": SAME, "display_name": SAME,
               "parent": optional_ref("time_period")}

TIME_TRACKING_ENTRY = {
    "duration_minutes": SAME, "entered_on": SAME, "attributable_to": optional_ref("project"),
    "created_by": optional_ref("user"), "task": ref("task"), "created_at": SAME, "approval_status": SAME,
    "billable_status": SAME, "description": SAME,
}

USER_TASK_LIST = {"name": SAME, "owner": optional_ref("user"), "workspace": ref("workspace")}

WEBHOOK = {
    "active": SAME, "resource": lambda r, o: Ref(o["resource_type"], o["resource"]), "target": SAME,
    "created_at": SAME, "last_failure_at": SAME, "last_failure_content": SAME, "last_success_at": SAME,
    "delivery_retry_count": const(0), "filters": lambda r, o: [dict(f) for f in o["filters"]],
}

FIELDS: dict[str, dict[str, Any]] = {
    "workspace": WORKSPACE, "user": USER, "team": TEAM, "team_membership": TEAM_MEMBERSHIP, "project": PROJECT,
    "section": SECTION, "tag": TAG, "custom_field": CUSTOM_FIELD, "custom_field_setting": CUSTOM_FIELD_SETTING,
    "task": TASK, "story": STORY, "attachment": ATTACHMENT,
    "workspace_membership": WORKSPACE_MEMBERSHIP, "project_membership": PROJECT_MEMBERSHIP,
    "status_update": STATUS_UPDATE, "project_status": PROJECT_STATUS, "project_brief": PROJECT_BRIEF,
    "project_template": PROJECT_TEMPLATE, "portfolio": PORTFOLIO, "portfolio_membership": PORTFOLIO_MEMBERSHIP,
    "goal": GOAL, "goal_relationship": GOAL_RELATIONSHIP, "time_period": TIME_PERIOD,
    "time_tracking_entry": TIME_TRACKING_ENTRY, "user_task_list": USER_TASK_LIST, "webhook": WEBHOOK,
}

COMPACT: dict[str, tuple[str, ...]] = {
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

FULL: dict[str, tuple[str, ...]] = {kind: tuple(table) for kind, table in FIELDS.items()}
# A project's custom_fields come back only when opt_fields asks for them.
FULL["project"] = tuple(f for f in FULL["project"] if f != "custom_fields")


def compile_fields(renderer: Any) -> dict[str, dict[str, Getter]]:
    """Kind -> field -> getter(record); computed fields see `renderer` (and its store, `renderer.s`)."""
    return {kind: {name: spec.make(name) if isinstance(spec, Spec) else partial(spec, renderer)
                   for name, spec in table.items()}
            for kind, table in FIELDS.items()}
