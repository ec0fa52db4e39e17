"""The API's routes as data: each method and path template, and what answers it.

A handler is either the name of an `AsanaSimulator` method taking the request context and the template's
`{gid}`, or one of the specs below for the shapes many routes share; `AsanaSimulator` turns them into
handlers. The first template that matches a path wins (`/users/me` before `/users/{gid}`), and the
template, as `"GET /users/{gid}"`, names the route in the request counters and the validator.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class One:
    """GET of one record of `kind` by its gid."""
    kind: str


@dataclass(frozen=True)
class Indexed:
    """The `kind` records of the `{gid}` parent (a `parent_kind`), in the order of the store index `index`.

    Task listings take completed_since / modified_since, project listings `archived`."""
    kind: str
    index: str
    parent_kind: str


@dataclass(frozen=True)
class Children:
    """Full-coverage records of `kind` whose `field` is the `{gid}` parent (a `parent_kind`; a user may be `me`)."""
    kind: str
    parent_kind: str
    field: str


@dataclass(frozen=True)
class Deleted:
    """DELETE through the store method `store_method(gid, actor)`; answers an empty object."""
    store_method: str


Handler = str | One | Indexed | Children | Deleted

ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/users/me", "_get_me"),
    ("GET", "/users/{gid}", "_get_user"),
    ("GET", "/users", "_get_users"),
    ("GET", "/workspaces", "_get_workspaces"),
    ("GET", "/workspaces/{gid}", One("workspace")),
    ("GET", "/workspaces/{gid}/users", "_ws_users"),
    ("GET", "/teams/{gid}/users", "_team_users"),
    ("GET", "/workspaces/{gid}/teams", Indexed("team", "ix_ws_teams", "workspace")),
    ("GET", "/users/{gid}/teams", "_user_teams"),
    ("GET", "/teams/{gid}", One("team")),
    ("GET", "/teams/{gid}/team_memberships", Indexed("team_membership", "ix_team_memberships", "team")),
    ("GET", "/users/{gid}/team_memberships", "_user_team_memberships"),
    ("GET", "/team_memberships", "_team_memberships"),
    ("GET", "/team_memberships/{gid}", One("team_membership")),
    ("GET", "/projects", "_projects"),
    ("GET", "/teams/{gid}/projects", Indexed("project", "ix_team_projects", "team")),
    ("GET", "/workspaces/{gid}/projects", Indexed("project", "ix_ws_projects", "workspace")),
    ("GET", "/projects/{gid}", One("project")),
    ("GET", "/projects/{gid}/sections", Indexed("section", "ix_project_sections", "project")),
    ("GET", "/sections/{gid}", One("section")),
    ("GET", "/projects/{gid}/custom_field_settings", "_cf_settings"),
    ("GET", "/tasks", "_get_tasks"),
    ("GET", "/projects/{gid}/tasks", Indexed("task", "ix_project_tasks", "project")),
    ("GET", "/sections/{gid}/tasks", Indexed("task", "ix_section_tasks", "section")),
    ("GET", "/tags/{gid}/tasks", Indexed("task", "ix_tag_tasks", "tag")),
    ("GET", "/tasks/{gid}", One("task")),
    ("GET", "/tasks/{gid}/subtasks", Indexed("task", "ix_subtasks", "task")),
    ("GET", "/tasks/{gid}/stories", Indexed("story", "ix_task_stories", "task")),
    ("GET", "/stories/{gid}", One("story")),
    ("GET", "/tasks/{gid}/dependencies", "_dependencies"),
    ("GET", "/tasks/{gid}/dependents", "_dependents"),
    ("GET", "/tasks/{gid}/tags", "_task_tags"),
    ("GET", "/tasks/{gid}/projects", "_task_projects"),
    ("GET", "/tags", "_get_tags"),
    ("GET", "/workspaces/{gid}/tags", Indexed("tag", "ix_ws_tags", "workspace")),
    ("GET", "/tags/{gid}", One("tag")),
    ("GET", "/workspaces/{gid}/custom_fields", Indexed("custom_field", "ix_ws_custom_fields", "workspace")),
    ("GET", "/custom_fields/{gid}", One("custom_field")),
    ("GET", "/attachments", "_get_attachments"),
    ("GET", "/attachments/{gid}", One("attachment")),
    ("GET", "/workspaces/{gid}/tasks/search", "_search"),
    ("GET", "/events", "_events"),
    # writes
    ("POST", "/tasks", "_create_task"),
    ("PUT", "/tasks/{gid}", "_update_task"),
    ("DELETE", "/tasks/{gid}", Deleted("delete_task")),
    ("POST", "/tasks/{gid}/stories", "_create_story"),
    ("DELETE", "/stories/{gid}", Deleted("delete_story")),
    ("POST", "/tasks/{gid}/addTag", "_add_tag"),
    ("POST", "/tasks/{gid}/removeTag", "_remove_tag"),
    ("POST", "/tasks/{gid}/addProject", "_add_project"),
    ("POST", "/tasks/{gid}/removeProject", "_remove_project"),
    ("POST", "/sections/{gid}/addTask", "_section_add_task"),
    ("POST", "/tasks/{gid}/setParent", "_set_parent"),
    ("POST", "/tasks/{gid}/addFollowers", "_add_followers"),
    ("POST", "/tasks/{gid}/removeFollowers", "_remove_followers"),
    ("POST", "/tasks/{gid}/subtasks", "_create_subtask"),
    ("DELETE", "/projects/{gid}", Deleted("delete_project")),
    ("POST", "/projects/{gid}/sections", "_create_section"),
    ("DELETE", "/sections/{gid}", "_delete_section"),
    ("DELETE", "/tags/{gid}", Deleted("delete_tag")),
    ("POST", "/projects", "_create_project"),
    ("PUT", "/projects/{gid}", "_update_project"),
    ("POST", "/tags", "_create_tag"),
    ("POST", "/workspaces/{gid}/tags", "_create_tag"),
    ("POST", "/attachments", "_create_attachment"),
    ("DELETE", "/attachments/{gid}", Deleted("delete_attachment")),
    # full-coverage kinds
    ("GET", "/workspaces/{gid}/workspace_memberships", Children("workspace_membership", "workspace", "workspace")),
    ("GET", "/users/{gid}/workspace_memberships", Children("workspace_membership", "user", "user")),
    ("GET", "/workspace_memberships/{gid}", One("workspace_membership")),
    ("GET", "/projects/{gid}/project_memberships", Children("project_membership", "project", "project")),
    ("GET", "/project_memberships/{gid}", One("project_membership")),
    ("GET", "/status_updates", "_status_updates"),
    ("GET", "/status_updates/{gid}", One("status_update")),
    ("GET", "/projects/{gid}/project_statuses", Children("project_status", "project", "project")),
    ("GET", "/project_statuses/{gid}", One("project_status")),
    ("GET", "/project_briefs/{gid}", One("project_brief")),
    ("GET", "/project_templates", "_project_templates"),
    ("GET", "/teams/{gid}/project_templates", Children("project_template", "team", "team")),
    ("GET", "/project_templates/{gid}", One("project_template")),
    ("GET", "/portfolios", "_portfolios"),
    ("GET", "/portfolios/{gid}", One("portfolio")),
    ("GET", "/portfolios/{gid}/items", "_portfolio_items"),
    ("GET", "/portfolio_memberships", "_portfolio_memberships"),
    ("GET", "/portfolios/{gid}/portfolio_memberships", Children("portfolio_membership", "portfolio", "portfolio")),
    ("GET", "/portfolio_memberships/{gid}", One("portfolio_membership")),
    ("GET", "/portfolios/{gid}/custom_field_settings", "_portfolio_cf_settings"),
    ("GET", "/goals", "_goals"),
    ("GET", "/goals/{gid}", One("goal")),
    ("GET", "/goals/{gid}/parentGoals", "_parent_goals"),
    ("GET", "/goal_relationships", "_goal_relationships"),
    ("GET", "/goal_relationships/{gid}", One("goal_relationship")),
    ("GET", "/time_periods", "_time_periods"),
    ("GET", "/time_periods/{gid}", One("time_period")),
    ("GET", "/time_tracking_entries", "_time_tracking_entries"),
    ("GET", "/tasks/{gid}/time_tracking_entries", Children("time_tracking_entry", "task", "task")),
    ("GET", "/time_tracking_entries/{gid}", One("time_tracking_entry")),
    ("GET", "/users/{gid}/user_task_list", "_user_task_list"),
    ("GET", "/user_task_lists/{gid}", One("user_task_list")),
    ("GET", "/user_task_lists/{gid}/tasks", "_user_task_list_tasks"),
    ("GET", "/webhooks", "_webhooks"),
    ("GET", "/webhooks/{gid}", One("webhook")),
)
