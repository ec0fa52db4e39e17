"""Constants and the exact ``opt_fields`` each resource asks for.

One list request with the right ``opt_fields`` replaces a GET per record, so every field a table
stores is requested here and nowhere else.
"""

DEFAULT_BASE_URL = "https://app.asana.com/api/1.0"
PAGE_SIZE = 100
DEFAULT_REQUESTS_PER_MINUTE = 1500
DEFAULT_MAX_CONCURRENCY = 10
# Asana's modified_at is set server-side when a write commits; a listing that runs while writes
# land can miss a task stamped just before the page that would have held it. Re-reading a few
# minutes is cheap (merge dedups) and closes that gap.
DEFAULT_LOOKBACK_SECONDS = 300


def join(*fields: str) -> str:
    return ",".join(fields)


WORKSPACE_FIELDS = join("gid", "name", "is_organization", "email_domains")

USER_FIELDS = join("gid", "name", "email")

TEAM_FIELDS = join("gid", "name", "description", "organization", "visibility", "permalink_url")

TEAM_MEMBERSHIP_FIELDS = join("gid", "team", "user", "is_guest", "is_admin", "is_limited_access")

PROJECT_FIELDS = join(
    "gid", "name", "workspace", "team", "owner", "archived", "color", "created_at", "modified_at",
    "due_on", "start_on", "notes", "privacy_setting", "completed", "completed_at", "default_view",
    "permalink_url",
)

SECTION_FIELDS = join("gid", "name", "project", "created_at")

TAG_FIELDS = join("gid", "name", "workspace", "color", "notes", "created_at", "permalink_url")

CUSTOM_FIELD_FIELDS = join(
    "gid", "name", "resource_subtype", "type", "description", "precision", "is_global_to_workspace",
    "enum_options.gid", "enum_options.name", "enum_options.color", "enum_options.enabled",
)

TASK_FIELDS = join(
    "gid", "name", "resource_subtype", "workspace", "parent", "assignee", "completed", "completed_at",
    "completed_by", "created_at", "modified_at", "due_on", "due_at", "start_on", "start_at", "notes",
    "html_notes", "num_subtasks", "num_likes", "permalink_url",
    "memberships.project", "memberships.section",
    "tags", "followers", "dependencies",
    "custom_fields.gid", "custom_fields.name", "custom_fields.resource_subtype", "custom_fields.type",
    "custom_fields.display_value", "custom_fields.text_value", "custom_fields.number_value",
    "custom_fields.enum_value.gid", "custom_fields.enum_value.name",
    "custom_fields.multi_enum_values.gid", "custom_fields.multi_enum_values.name",
    "custom_fields.date_value.date", "custom_fields.date_value.date_time",
    "custom_fields.people_value.gid",
)

STORY_FIELDS = join(
    "gid", "created_at", "created_by", "resource_subtype", "type", "text", "is_pinned", "target",
    "old_section", "new_section", "assignee", "old_dates", "new_dates", "custom_field",
    "old_text_value", "new_text_value", "old_number_value", "new_number_value",
    "old_enum_value", "new_enum_value", "old_date_value", "new_date_value", "old_name", "new_name",
)

# Tables and their grain. The source declares every column so that a column whose values are all
# null on the first load still exists for the SQL models.
TEXT = {"data_type": "text"}
BOOL = {"data_type": "bool"}
TS = {"data_type": "timestamp"}
DATE = {"data_type": "date"}
DOUBLE = {"data_type": "double"}
BIGINT = {"data_type": "bigint"}

TOMBSTONE = "_tombstone"

COLUMNS = {
    "workspaces": {"gid": TEXT, "name": TEXT, "is_organization": BOOL, "email_domains": TEXT},
    "users": {"gid": TEXT, "name": TEXT, "email": TEXT},
    "workspace_users": {"workspace_gid": TEXT, "user_gid": TEXT},
    "teams": {"gid": TEXT, "name": TEXT, "description": TEXT, "organization_gid": TEXT, "visibility": TEXT,
              "permalink_url": TEXT},
    "team_memberships": {"gid": TEXT, "team_gid": TEXT, "user_gid": TEXT, "is_guest": BOOL, "is_admin": BOOL,
                         "is_limited_access": BOOL},
    "projects": {"gid": TEXT, "name": TEXT, "workspace_gid": TEXT, "team_gid": TEXT, "owner_gid": TEXT,
                 "archived": BOOL, "color": TEXT, "created_at": TS, "modified_at": TS, "due_on": DATE,
                 "start_on": DATE, "notes": TEXT, "privacy_setting": TEXT, "completed": BOOL, "completed_at": TS,
                 "default_view": TEXT, "permalink_url": TEXT},
    "sections": {"gid": TEXT, "name": TEXT, "project_gid": TEXT, "created_at": TS},
    "tags": {"gid": TEXT, "name": TEXT, "workspace_gid": TEXT, "color": TEXT, "notes": TEXT, "created_at": TS,
             "permalink_url": TEXT},
    "custom_fields": {"gid": TEXT, "name": TEXT, "workspace_gid": TEXT, "resource_subtype": TEXT,
                      "description": TEXT, "precision": BIGINT, "is_global_to_workspace": BOOL},
    "custom_field_enum_options": {"custom_field_gid": TEXT, "gid": TEXT, "name": TEXT, "color": TEXT,
                                  "enabled": BOOL},
    "tasks": {"gid": TEXT, "name": TEXT, "resource_subtype": TEXT, "workspace_gid": TEXT, "parent_gid": TEXT,
              "assignee_gid": TEXT, "completed": BOOL, "completed_at": TS, "completed_by_gid": TEXT,
              "created_at": TS, "modified_at": TS, "due_on": DATE, "due_at": TS, "start_on": DATE,
              "start_at": TS, "notes": TEXT, "html_notes": TEXT, "num_subtasks": BIGINT, "num_likes": BIGINT,
              "permalink_url": TEXT, "is_deleted": BOOL, "deleted_detected_at": TS, "sync_fingerprint": TEXT},
    "task_memberships": {"task_gid": TEXT, "project_gid": TEXT, "section_gid": TEXT},
    "task_tags": {"task_gid": TEXT, "tag_gid": TEXT},
    "task_followers": {"task_gid": TEXT, "user_gid": TEXT},
    "task_dependencies": {"task_gid": TEXT, "depends_on_gid": TEXT},
    "task_custom_field_values": {
        "task_gid": TEXT, "custom_field_gid": TEXT, "custom_field_name": TEXT, "resource_subtype": TEXT,
        "text_value": TEXT, "number_value": DOUBLE, "enum_value_gid": TEXT, "enum_value_name": TEXT,
        "multi_enum_value_gids": TEXT, "multi_enum_value_names": TEXT, "date_value": DATE,
        "people_value_gids": TEXT, "display_value": TEXT,
    },
    "stories": {
        "gid": TEXT, "task_gid": TEXT, "created_at": TS, "created_by_gid": TEXT, "resource_subtype": TEXT,
        "type": TEXT, "text": TEXT, "is_pinned": BOOL, "old_section_gid": TEXT, "new_section_gid": TEXT,
        "assignee_gid": TEXT, "old_due_on": DATE, "new_due_on": DATE, "old_due_at": TS, "new_due_at": TS,
        "custom_field_gid": TEXT, "old_text_value": TEXT, "new_text_value": TEXT, "old_number_value": DOUBLE,
        "new_number_value": DOUBLE, "old_enum_value_gid": TEXT, "new_enum_value_gid": TEXT,
        "old_date_value": DATE, "new_date_value": DATE, "old_name": TEXT, "new_name": TEXT,
    },
}

# Bridge tables are keyed by their parent and replaced whenever the parent is re-read.
BRIDGES = {
    "task_memberships": ("task_gid", "project_gid"),
    "task_tags": ("task_gid", "tag_gid"),
    "task_followers": ("task_gid", "user_gid"),
    "task_dependencies": ("task_gid", "depends_on_gid"),
    "task_custom_field_values": ("task_gid", "custom_field_gid"),
}

COLUMNS["sync_gaps"] = {"run_started_at": TS, "endpoint": TEXT, "parameters": TEXT, "reason": TEXT}


def columns(table: str) -> dict:
    """A fresh copy of a table's column hints: dlt annotates the dicts it is given in place."""
    return {name: dict(hint) for name, hint in COLUMNS[table].items()}

RESOURCES = {
    "workspaces": "workspaces the token can see (filtered by --workspace)",
    "users": "users per workspace (GET /users?workspace=), plus workspace_users",
    "teams": "teams of organization workspaces",
    "team_memberships": "who is in which team",
    "projects": "projects per team (organizations) or per workspace",
    "sections": "sections per project",
    "tags": "tags per workspace",
    "custom_fields": "custom fields per workspace, plus custom_field_enum_options",
    "tasks": "tasks and subtasks changed since the last run, plus memberships, tags, followers, "
             "dependencies and custom field values",
    "stories": "comments and system stories of the tasks that changed",
}
