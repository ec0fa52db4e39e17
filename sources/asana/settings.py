"""Constants, the column contract of every table, and the exact ``opt_fields`` each resource asks for.

One list request with the right ``opt_fields`` replaces a GET per record, so every field a table
stores is requested here and nowhere else.
"""

from dataclasses import dataclass, field

DEFAULT_BASE_URL = "https://app.asana.com/api/1.0"
PAGE_SIZE = 100
DEFAULT_REQUESTS_PER_MINUTE = 1500
# Asana's documented cap on GETs in flight per token. An upper bound only: the client keeps about
# rate x latency x 2 in flight (throttle.ConcurrencyLimit), about 14 at 1,500/min and 250 ms.
DEFAULT_MAX_CONCURRENCY = 50
# Asana's modified_at is set server-side when a write commits; a listing that runs while writes
# land can miss a task stamped just before the page that would have held it. Re-reading a few
# minutes is cheap (merge dedups) and closes that gap.
DEFAULT_LOOKBACK_SECONDS = 300

# Listing every task each run is cheap while a workspace is small; above this many tasks a full
# reconciliation (which also catches tag, follower and move changes that never bump modified_at,
# subtask-only changes and deletions) runs once per interval and other runs are incremental.
# Both are options (reconcile_below_tasks, reconcile_interval_hours).
RECONCILE_EVERY_RUN_BELOW = 50_000
RECONCILE_INTERVAL_HOURS = 24
# BEHAVIOR.md: the search index lags writes by 10-60 s, and search allows 60 calls a minute.
SEARCH_INDEX_LAG_SECONDS = 120
SEARCH_REQUESTS_PER_MINUTE = 60


# Time tracking is listed per workspace in windows of ``entered_on`` dates; the first window opens
# here (no entry predates it) and stays open-ended, so one request covers a small workspace.
TIME_TRACKING_FIRST_DAY = "1900-01-01"


def join(*fields: str) -> str:
    return ",".join(fields)


WORKSPACE_FIELDS = join("gid", "name", "is_organization", "email_domains")

USER_FIELDS = join("gid", "name", "email")

TEAM_FIELDS = join("gid", "name", "description", "organization", "visibility", "permalink_url")

PROJECT_FIELDS = join(
    "gid", "name", "workspace", "team", "owner", "archived", "color", "created_at", "modified_at",
    "due_on", "start_on", "notes", "privacy_setting", "completed", "completed_at", "default_view",
    "permalink_url", "project_brief",
    # Read here, a project's custom field settings cost no request of their own.
    "custom_field_settings.is_important", "custom_field_settings.custom_field",
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
    "tags", "followers", "dependencies", "dependents",
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

# GET /time_tracking_entries offers only these fields (asana_oas.yaml); an entry's task and
# created_at come from GET /time_tracking_entries/{gid}, once per entry, since neither ever changes.
TIME_TRACKING_LIST_FIELDS = join("duration_minutes", "entered_on", "attributable_to", "created_by")
TIME_TRACKING_DETAIL_FIELDS = join("task", "created_at")

# The column contract of every raw table, in one place. The source declares every column so that a
# column whose values are all null on the first load still exists for the SQL models, which read
# their raw column types from here too.
TEXT = {"data_type": "text"}
BOOL = {"data_type": "bool"}
TS = {"data_type": "timestamp"}
DATE = {"data_type": "date"}
DOUBLE = {"data_type": "double"}
BIGINT = {"data_type": "bigint"}

TOMBSTONE = "_tombstone"


@dataclass(frozen=True)
class Table:
    """A raw table's contract.

    ``columns``: its columns and dlt type hints. For objects copied field by field
    (``helpers.copy_row``), scalar columns have the API's field names; ``refs`` name the API
    reference each ``*_gid`` column copies the gid of (``{"team_gid": "team"}``); ``extra_fields``
    are asked for beyond those (``metric.unit``); ``filled`` columns are not asked for: the sync fills
    them from where the row was found, a reference's type, or a deletion it detected.
    """

    columns: dict
    refs: dict = field(default_factory=dict)
    extra_fields: tuple = ()
    filled: tuple = ()


TABLES = {
    "workspaces": Table({"gid": TEXT, "name": TEXT, "is_organization": BOOL, "email_domains": TEXT}),
    "users": Table({"gid": TEXT, "name": TEXT, "email": TEXT}),
    "workspace_users": Table({"workspace_gid": TEXT, "user_gid": TEXT}),
    "teams": Table(
        {"gid": TEXT, "name": TEXT, "description": TEXT, "organization_gid": TEXT, "visibility": TEXT,
         "permalink_url": TEXT},
        refs={"organization_gid": "organization"},
    ),
    "team_memberships": Table(
        {"gid": TEXT, "team_gid": TEXT, "user_gid": TEXT, "is_guest": BOOL, "is_admin": BOOL,
         "is_limited_access": BOOL},
        refs={"team_gid": "team", "user_gid": "user"},
    ),
    "projects": Table(
        {"gid": TEXT, "name": TEXT, "workspace_gid": TEXT, "team_gid": TEXT, "owner_gid": TEXT, "archived": BOOL,
         "color": TEXT, "created_at": TS, "modified_at": TS, "due_on": DATE, "start_on": DATE, "notes": TEXT,
         "privacy_setting": TEXT, "completed": BOOL, "completed_at": TS, "default_view": TEXT,
         "permalink_url": TEXT, "is_deleted": BOOL, "deleted_detected_at": TS},
        refs={"workspace_gid": "workspace", "team_gid": "team", "owner_gid": "owner"},
        filled=("is_deleted", "deleted_detected_at"),
    ),
    "sections": Table(
        {"gid": TEXT, "name": TEXT, "project_gid": TEXT, "created_at": TS, "is_deleted": BOOL,
         "deleted_detected_at": TS},
        refs={"project_gid": "project"},
        filled=("is_deleted", "deleted_detected_at"),
    ),
    "tags": Table(
        {"gid": TEXT, "name": TEXT, "workspace_gid": TEXT, "color": TEXT, "notes": TEXT, "created_at": TS,
         "permalink_url": TEXT, "is_deleted": BOOL, "deleted_detected_at": TS},
        refs={"workspace_gid": "workspace"},
        filled=("is_deleted", "deleted_detected_at"),
    ),
    "custom_fields": Table(
        {"gid": TEXT, "name": TEXT, "workspace_gid": TEXT, "resource_subtype": TEXT, "description": TEXT,
         "precision": BIGINT, "is_global_to_workspace": BOOL},
    ),
    "custom_field_enum_options": Table(
        {"custom_field_gid": TEXT, "gid": TEXT, "name": TEXT, "color": TEXT, "enabled": BOOL},
    ),
    "tasks": Table(
        {"gid": TEXT, "name": TEXT, "resource_subtype": TEXT, "workspace_gid": TEXT, "parent_gid": TEXT,
         "assignee_gid": TEXT, "completed": BOOL, "completed_at": TS, "completed_by_gid": TEXT, "created_at": TS,
         "modified_at": TS, "due_on": DATE, "due_at": TS, "start_on": DATE, "start_at": TS, "notes": TEXT,
         "html_notes": TEXT, "num_subtasks": BIGINT, "num_likes": BIGINT, "permalink_url": TEXT, "is_deleted": BOOL,
         "deleted_detected_at": TS, "sync_fingerprint": TEXT},
    ),
    "task_dependents": Table({"task_gid": TEXT, "dependent_gid": TEXT}),
    "task_memberships": Table({"task_gid": TEXT, "project_gid": TEXT, "section_gid": TEXT}),
    "task_tags": Table({"task_gid": TEXT, "tag_gid": TEXT}),
    "task_followers": Table({"task_gid": TEXT, "user_gid": TEXT}),
    "task_dependencies": Table({"task_gid": TEXT, "depends_on_gid": TEXT}),
    "task_custom_field_values": Table(
        {"task_gid": TEXT, "custom_field_gid": TEXT, "custom_field_name": TEXT, "resource_subtype": TEXT,
         "text_value": TEXT, "number_value": DOUBLE, "enum_value_gid": TEXT, "enum_value_name": TEXT,
         "multi_enum_value_gids": TEXT, "multi_enum_value_names": TEXT, "date_value": DATE,
         "people_value_gids": TEXT, "display_value": TEXT},
    ),
    "stories": Table(
        {"gid": TEXT, "task_gid": TEXT, "created_at": TS, "created_by_gid": TEXT, "resource_subtype": TEXT,
         "type": TEXT, "text": TEXT, "is_pinned": BOOL, "old_section_gid": TEXT, "new_section_gid": TEXT,
         "assignee_gid": TEXT, "old_due_on": DATE, "new_due_on": DATE, "old_due_at": TS, "new_due_at": TS,
         "custom_field_gid": TEXT, "old_text_value": TEXT, "new_text_value": TEXT, "old_number_value": DOUBLE,
         "new_number_value": DOUBLE, "old_enum_value_gid": TEXT, "new_enum_value_gid": TEXT, "old_date_value": DATE,
         "new_date_value": DATE, "old_name": TEXT, "new_name": TEXT},
    ),
    "sync_gaps": Table({"run_started_at": TS, "kind": TEXT, "endpoint": TEXT, "parameters": TEXT, "reason": TEXT,
                        "sync_partition": TEXT}),
    "sync_runs": Table(
        {"started_at": TS, "seconds": DOUBLE, "requests": BIGINT, "rows": BIGINT, "gaps": BIGINT, "status": TEXT,
         "throttled": BIGINT, "concurrency": BIGINT, "lowest_concurrency": BIGINT, "waited_seconds": DOUBLE,
         "task_discovery": TEXT, "sync_partition": TEXT, "latency_ms": DOUBLE, "concurrency_cap": BIGINT,
         "rate_share": DOUBLE, "run_id": TEXT, "ended_at": TS, "outcome": TEXT, "exit_code": BIGINT, "reason": TEXT,
         "markers": BIGINT},
    ),
    "workspace_memberships": Table(
        {"gid": TEXT, "workspace_gid": TEXT, "user_gid": TEXT, "is_active": BOOL, "is_admin": BOOL,
         "is_guest": BOOL, "is_view_only": BOOL, "created_at": TS},
        refs={"workspace_gid": "workspace", "user_gid": "user"},
        extra_fields=("user_task_list.name", "user_task_list.owner", "user_task_list.workspace"),
    ),
    "project_memberships": Table(
        {"gid": TEXT, "project_gid": TEXT, "user_gid": TEXT, "access_level": TEXT, "write_access": TEXT},
        refs={"project_gid": "parent", "user_gid": "member"},
        # The listing does not offer write_access (only GET /project_memberships/{gid} does, one
        # request per membership): the column stays for warehouses that have it, and is null.
        filled=("write_access",),
    ),
    "status_updates": Table(
        {"gid": TEXT, "parent_gid": TEXT, "parent_type": TEXT, "resource_subtype": TEXT, "status_type": TEXT,
         "title": TEXT, "text": TEXT, "created_at": TS, "modified_at": TS, "created_by_gid": TEXT,
         "author_gid": TEXT},
        refs={"parent_gid": "parent", "created_by_gid": "created_by", "author_gid": "author"},
        extra_fields=("parent.resource_type",),
        filled=("parent_type",),
    ),
    "project_statuses": Table(
        {"gid": TEXT, "project_gid": TEXT, "title": TEXT, "text": TEXT, "color": TEXT, "created_at": TS,
         "created_by_gid": TEXT, "modified_at": TS},
        refs={"created_by_gid": "created_by"},
        filled=("project_gid",),
    ),
    "project_briefs": Table(
        {"gid": TEXT, "project_gid": TEXT, "title": TEXT, "text": TEXT, "permalink_url": TEXT},
        refs={"project_gid": "project"},
    ),
    "project_templates": Table(
        {"gid": TEXT, "name": TEXT, "description": TEXT, "owner_gid": TEXT, "team_gid": TEXT, "workspace_gid": TEXT,
         "public": BOOL, "color": TEXT},
        refs={"owner_gid": "owner", "team_gid": "team"},
        filled=("workspace_gid",),
    ),
    "portfolios": Table(
        {"gid": TEXT, "name": TEXT, "workspace_gid": TEXT, "owner_gid": TEXT, "color": TEXT, "created_at": TS,
         "start_on": DATE, "due_on": DATE, "public": BOOL, "permalink_url": TEXT, "is_deleted": BOOL,
         "deleted_detected_at": TS},
        refs={"workspace_gid": "workspace", "owner_gid": "owner"},
        extra_fields=("custom_field_settings.is_important", "custom_field_settings.custom_field"),
        filled=("is_deleted", "deleted_detected_at"),
    ),
    "portfolio_items": Table({"portfolio_gid": TEXT, "item_gid": TEXT, "item_type": TEXT}),
    "portfolio_memberships": Table(
        {"gid": TEXT, "portfolio_gid": TEXT, "user_gid": TEXT, "access_level": TEXT},
        refs={"portfolio_gid": "portfolio", "user_gid": "user"},
    ),
    "goals": Table(
        {"gid": TEXT, "name": TEXT, "notes": TEXT, "workspace_gid": TEXT, "team_gid": TEXT, "owner_gid": TEXT,
         "time_period_gid": TEXT, "start_on": DATE, "due_on": DATE, "status": TEXT, "is_workspace_level": BOOL,
         "metric_unit": TEXT, "metric_current_value": DOUBLE, "metric_target_value": DOUBLE,
         "metric_initial_value": DOUBLE},
        refs={"workspace_gid": "workspace", "team_gid": "team", "owner_gid": "owner",
              "time_period_gid": "time_period"},
        extra_fields=("metric.unit", "metric.current_number_value", "metric.target_number_value",
                      "metric.initial_number_value"),
        filled=("metric_unit", "metric_current_value", "metric_target_value", "metric_initial_value"),
    ),
    "goal_relationships": Table(
        {"gid": TEXT, "supported_goal_gid": TEXT, "supporting_resource_gid": TEXT, "supporting_resource_type": TEXT,
         "resource_subtype": TEXT, "contribution_weight": DOUBLE},
        refs={"supported_goal_gid": "supported_goal", "supporting_resource_gid": "supporting_resource"},
        extra_fields=("supporting_resource.resource_type",),
        filled=("supporting_resource_type",),
    ),
    "time_periods": Table(
        {"gid": TEXT, "workspace_gid": TEXT, "display_name": TEXT, "period": TEXT, "start_on": DATE, "end_on": DATE,
         "parent_gid": TEXT},
        refs={"parent_gid": "parent"},
        filled=("workspace_gid",),
    ),
    "time_tracking_entries": Table(
        {"gid": TEXT, "workspace_gid": TEXT, "task_gid": TEXT, "created_by_gid": TEXT, "attributable_to_gid": TEXT,
         "duration_minutes": BIGINT, "entered_on": DATE, "created_at": TS},
        refs={"task_gid": "task", "created_by_gid": "created_by", "attributable_to_gid": "attributable_to"},
        filled=("workspace_gid",),
    ),
    "user_task_lists": Table(
        {"gid": TEXT, "name": TEXT, "owner_gid": TEXT, "workspace_gid": TEXT},
        refs={"owner_gid": "owner", "workspace_gid": "workspace"},
    ),
    "webhooks": Table(
        {"gid": TEXT, "workspace_gid": TEXT, "resource_gid": TEXT, "resource_type": TEXT, "target": TEXT,
         "active": BOOL, "created_at": TS, "last_success_at": TS, "last_failure_at": TS,
         "last_failure_content": TEXT},
        refs={"resource_gid": "resource"},
        extra_fields=("resource.resource_type",),
        filled=("workspace_gid", "resource_type"),
    ),
    "attachments": Table(
        {"gid": TEXT, "task_gid": TEXT, "name": TEXT, "resource_subtype": TEXT, "created_at": TS, "size": BIGINT,
         "host": TEXT, "view_url": TEXT, "permanent_url": TEXT},
        refs={"task_gid": "parent"},
    ),
    "custom_field_settings": Table(
        {"gid": TEXT, "parent_gid": TEXT, "parent_type": TEXT, "custom_field_gid": TEXT, "is_important": BOOL},
        refs={"parent_gid": "parent", "custom_field_gid": "custom_field"},
        extra_fields=("parent.resource_type", "project"),
        filled=("parent_type",),
    ),
}

# Bridge tables are keyed by their parent task and replaced whenever the task is re-read.
BRIDGES = {
    "task_memberships": ("task_gid", "project_gid"),
    "task_tags": ("task_gid", "tag_gid"),
    "task_followers": ("task_gid", "user_gid"),
    "task_dependencies": ("task_gid", "depends_on_gid"),
    "task_custom_field_values": ("task_gid", "custom_field_gid"),
    "task_dependents": ("task_gid", "dependent_gid"),
}

COLUMNS = {name: table.columns for name, table in TABLES.items()}
REFS = {name: table.refs for name, table in TABLES.items() if table.refs}


def opt_fields(table: str) -> str:
    """Every field a copied table stores: its own columns plus the references its gids come from."""
    spec = TABLES[table]
    own = [c for c in spec.columns if c not in spec.refs and c not in spec.filled]
    return join(*dict.fromkeys(own + list(spec.refs.values()) + list(spec.extra_fields)))


def columns(table: str) -> dict:
    """A fresh copy of a table's column hints: dlt annotates the dicts it is given in place."""
    return {name: dict(hint) for name, hint in COLUMNS[table].items()}


@dataclass(frozen=True)
class ParentListing:
    """A listing read once per parent and replaced per parent in its table.

    ``path`` and ``params`` take the parent's gid as ``{gid}``; ``parents`` name the shared
    listings the parents come from (``workspaces``, ``teams``, ``projects``, ``portfolios``,
    ``goals``); rows of a parent that was deleted are cleared.
    """

    path: str
    parents: tuple[str, ...]
    parent_key: str
    description: str
    params: tuple[tuple[str, str], ...] = ()


# The resources generated from one listing each (see ``sources.asana.__init__``).
PARENT_LISTINGS = {
    "team_memberships": ParentListing("/teams/{gid}/team_memberships", ("teams",), "team_gid",
                                      "who is in which team"),
    "project_memberships": ParentListing("/projects/{gid}/project_memberships", ("projects",), "project_gid",
                                         "who is a member of each project"),
    "status_updates": ParentListing("/status_updates", ("projects", "portfolios", "goals"), "parent_gid",
                                    "status updates of projects, portfolios and goals", (("parent", "{gid}"),)),
    "project_statuses": ParentListing("/projects/{gid}/project_statuses", ("projects",), "project_gid",
                                      "legacy project statuses (superseded by status updates, still readable)"),
    "project_templates": ParentListing("/project_templates", ("workspaces",), "workspace_gid",
                                       "project templates per workspace", (("workspace", "{gid}"),)),
    "time_periods": ParentListing("/time_periods", ("workspaces",), "workspace_gid", "time periods per workspace",
                                  (("workspace", "{gid}"),)),
    "webhooks": ParentListing("/webhooks", ("workspaces",), "workspace_gid", "webhooks per workspace",
                              (("workspace", "{gid}"),)),
}

# Listings read per parent inside another resource (they load with it).
CHILD_LISTINGS = {
    "portfolio_memberships": ParentListing("/portfolios/{gid}/portfolio_memberships", ("portfolios",),
                                           "portfolio_gid", "who is a member of each portfolio"),
    "goal_relationships": ParentListing("/goal_relationships", ("goals",), "supported_goal_gid",
                                        "what supports each goal", (("supported_goal", "{gid}"),)),
}
