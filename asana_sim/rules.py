"""The request rules Asana states only in prose, in ONE table (`RULES`), plus the source's known violations.

The per-parameter schema of every GET operation (required, type, format, enum, minimum/maximum, the
`opt_fields` enum) is generated from asana_oas.yaml into `spec_params.py`. What the spec says only in
words -- in an operation's description, a parameter's description, or BEHAVIOR.md -- is here, one entry
per rule, each with the sentence it comes from. `validate.py` applies both; nothing else in the simulator
decides whether a GET request is well-formed.

Rule kinds (`Rule.kind`):

* `param`          declares or overrides one query parameter's schema (a parameter the prose names but the
                   spec's parameter list lacks, or a value the prose allows beyond the schema, like `now`).
* `pattern`        parameters whose names follow a pattern (search's `custom_fields.{gid}.value`, ...).
* `exactly_one`    exactly one of `groups` (each group a tuple of parameters that must all be present).
* `at_least_one`   at least one of `groups` must be complete.
* `requires`       when `params[0]` is present, one of `groups` must be complete too.
* `at_most_one`    at most one parameter matching `pattern`.
* `requires_value` when a parameter matching `pattern` is present, `params[0]` must equal `value`.

Every violation answers 400 with Asana's envelope and the message `<param>: <reason>` (the one exception is
GET /tasks' filter rule, whose exact text Asana documents and BEHAVIOR.md quotes).

Query parameters an operation does not declare (neither in the spec nor here) are IGNORED, as Asana ignores
them: e.g. `modified_since` on `GET /projects/{gid}/tasks` neither filters nor fails. The simulator counts
them in `sim.stats.ignored_params` so tests and users can see what a client sent in vain.
"""
from __future__ import annotations

from dataclasses import dataclass, field

MSG_TASKS_FILTER = "Must specify exactly one of project, tag, section, user task list, or assignee + workspace"


@dataclass(frozen=True)
class Rule:
    id: str
    route: str                      # "GET /path/{param}" exactly as the spec's path template
    kind: str
    message: str                    # "<param>: <reason>"; {param}/{value} are filled in
    source: str                     # where the rule is stated
    params: tuple[str, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()
    schema: dict = field(default_factory=dict)
    pattern: str = ""
    value: str = ""


_TASK_LISTS_NOW = {"tasks": "GET /tasks", "project-tasks": "GET /projects/{project_gid}/tasks",
                   "section-tasks": "GET /sections/{section_gid}/tasks",
                   "user-task-list-tasks": "GET /user_task_lists/{user_task_list_gid}/tasks"}
SEARCH = "GET /workspaces/{workspace_gid}/tasks/search"
_DATE_OR_NULL = ("due_on", "start_on", "created_on", "completed_on", "modified_on")

RULES: tuple[Rule, ...] = (
    # ---------------------------------------------------------------- GET /tasks
    Rule("tasks-exactly-one-filter", "GET /tasks", "exactly_one", MSG_TASKS_FILTER,
         "BEHAVIOR.md (GET /tasks needs exactly one of ...); spec getTasks: 'You must specify a `project` or "
         "`tag` if you do not specify `assignee` and `workspace`'; assignee and workspace: 'If you specify "
         "`assignee`, you must also specify the `workspace`' (and the reverse)",
         groups=(("project",), ("tag",), ("section",), ("user_task_list",), ("assignee", "workspace"))),
    Rule("tasks-tag-param", "GET /tasks", "param", "tag: {reason}",
         "spec getTasks description names `tag` as a filter although its parameter list omits it",
         params=("tag",), schema={"type": "string"}),
    Rule("tasks-user-task-list-param", "GET /tasks", "param", "user_task_list: {reason}",
         "BEHAVIOR.md: the filter rule's message names 'user task list'", params=("user_task_list",),
         schema={"type": "string"}),
    *(Rule(f"completed-since-now-{name}", r, "param", "completed_since: {reason}",
           "spec: completed_since 'Accepts a date-time string or the keyword *now*' (project, section and "
           "user task list tasks); BEHAVIOR.md: completed_since exists on task lists (accepts `now`)",
           params=("completed_since",), schema={"type": "string", "format": "date-time", "also": ["now"]})
      for name, r in _TASK_LISTS_NOW.items()),
    # ---------------------------------------------------------------- listings that need a scope
    Rule("projects-one-filter", "GET /projects", "at_least_one", "workspace: Missing input",
         "spec getProjects: 'Use one or more of the parameters provided to filter the projects returned'",
         groups=(("workspace",), ("team",), ("archived",))),
    Rule("tags-one-filter", "GET /tags", "at_least_one", "workspace: Missing input",
         "spec getTags: 'Use one or more of the parameters provided to filter the tags returned' "
         "(workspace is its only filter)", groups=(("workspace",),)),
    Rule("project-templates-scope", "GET /project_templates", "at_least_one", "workspace: Missing input",
         "spec getProjectTemplates: 'all project templates in the given team or workspace'",
         groups=(("workspace",), ("team",))),
    Rule("team-memberships-scope", "GET /team_memberships", "at_least_one", "team: Missing input",
         "spec getTeamMemberships: user 'must be used with the workspace parameter', workspace 'must be "
         "used with the user parameter' (so a request names a team, or a user and a workspace)",
         groups=(("team",), ("user", "workspace"))),
    Rule("team-memberships-user-needs-workspace", "GET /team_memberships", "requires",
         "workspace: Missing input (user must be used with workspace)",
         "spec getTeamMemberships, parameter user: 'This parameter must be used with the workspace parameter.'",
         params=("user",), groups=(("workspace",),)),
    Rule("team-memberships-workspace-needs-user", "GET /team_memberships", "requires",
         "user: Missing input (workspace must be used with user)",
         "spec getTeamMemberships, parameter workspace: 'This parameter must be used with the user parameter.'",
         params=("workspace",), groups=(("user",),)),
    Rule("portfolio-memberships-scope", "GET /portfolio_memberships", "at_least_one", "portfolio: Missing input",
         "spec getPortfolioMemberships: 'You must specify `portfolio`, `portfolio` and `user`, or `workspace` "
         "and `user`.'", groups=(("portfolio",), ("workspace", "user"))),
    Rule("portfolio-memberships-workspace-needs-user", "GET /portfolio_memberships", "requires",
         "user: Missing input (workspace must be used with user)",
         "spec getPortfolioMemberships: '... or `workspace` and `user`'", params=("workspace",),
         groups=(("user",),)),
    Rule("goals-workspace-level-needs-workspace", "GET /goals", "requires",
         "workspace: Missing input (is_workspace_level must be used with workspace)",
         "spec getGoals, parameter is_workspace_level: 'Must be used with the workspace parameter.'",
         params=("is_workspace_level",), groups=(("workspace",),)),
    Rule("goals-scope", "GET /goals", "at_least_one", "workspace: Missing input",
         "assumed, not in the spec: goals are listed for a workspace, team, portfolio, project or task "
         "(the simulator never lists every goal the token can see)",
         groups=(("workspace",), ("team",), ("portfolio",), ("project",), ("task",))),
    Rule("time-tracking-scope", "GET /time_tracking_entries", "at_least_one", "task: Missing input",
         "spec getTimeTrackingEntries: 'Returns a list of time tracking entries filtered to a task, attributed "
         "project, portfolio or user.'",
         groups=(("task",), ("attributable_to",), ("portfolio",), ("user",), ("workspace",))),
    Rule("time-tracking-workspace-dates", "GET /time_tracking_entries", "requires",
         "entered_on_start_date: At least one of `entered_on_start_date` or `entered_on_end_date` must be "
         "provided when filtering by workspace.",
         "spec getTimeTrackingEntries, parameter workspace: 'At least one of `entered_on_start_date` or "
         "`entered_on_end_date` must be provided when filtering by workspace.'",
         params=("workspace",), groups=(("entered_on_start_date",), ("entered_on_end_date",))),
    # ---------------------------------------------------------------- search
    Rule("search-limit", SEARCH, "param", "limit: {reason}",
         "spec searchTasksForWorkspace: 'Page sizes are limited to a maximum of 100 items, and can be "
         "specified by the `limit` query parameter.'", params=("limit",),
         schema={"type": "integer", "minimum": 1, "maximum": 100}),
    *(Rule(f"search-{p}-null", SEARCH, "param", f"{p}: {{reason}}",
           f"spec searchTasksForWorkspace, parameter {p}: 'ISO 8601 date string or `null`'", params=(p,),
           schema={"type": "string", "format": "date", "also": ["null"]}) for p in _DATE_OR_NULL),
    Rule("search-custom-field-is-set", SEARCH, "pattern", "{param}: {reason}",
         "spec searchTasksForWorkspace, custom field parameters: custom_fields.{gid}.is_set, all types, Boolean",
         pattern=r"custom_fields\.\d+\.is_set", schema={"type": "boolean"}),
    Rule("search-custom-field-value", SEARCH, "pattern", "{param}: {reason}",
         "spec searchTasksForWorkspace: custom_fields.{gid}.value (text: string, number: number, enum: option "
         "ID, date: yyyy-mm-dd)", pattern=r"custom_fields\.\d+\.value", schema={"type": "string"}),
    Rule("search-custom-field-text", SEARCH, "pattern", "{param}: {reason}",
         "spec searchTasksForWorkspace: custom_fields.{gid}.starts_with/ends_with/contains, text only, String",
         pattern=r"custom_fields\.\d+\.(starts_with|ends_with|contains)", schema={"type": "string"}),
    Rule("search-custom-field-number", SEARCH, "pattern", "{param}: {reason}",
         "spec searchTasksForWorkspace: custom_fields.{gid}.less_than/greater_than, number only, Number",
         pattern=r"custom_fields\.\d+\.(less_than|greater_than)", schema={"type": "number"}),
    Rule("search-custom-field-date", SEARCH, "pattern", "{param}: {reason}",
         "spec searchTasksForWorkspace: custom_fields.{gid}.before/after, date only, ISO 8601 date (yyyy-mm-dd)",
         pattern=r"custom_fields\.\d+\.(before|after)", schema={"type": "string", "format": "date"}),
    Rule("search-custom-type-status", SEARCH, "pattern", "{param}: {reason}",
         "spec searchTasksForWorkspace: custom_types.{gid}.custom_type_status_option.gid, Enum option GID",
         pattern=r"custom_types\.\d+\.custom_type_status_option\.gid", schema={"type": "string"}),
    Rule("search-custom-type-one", SEARCH, "at_most_one",
         "{param}: Only one `custom_types.*` parameter may be specified per request.",
         "spec searchTasksForWorkspace, custom task type parameters: 'Only one `custom_types.*` parameter may "
         "be specified per request.'", pattern=r"custom_types\..*"),
    Rule("search-custom-type-subtype", SEARCH, "requires_value",
         "resource_subtype: `resource_subtype=custom` must be set when using {param}.",
         "spec searchTasksForWorkspace, custom task type parameters: '`resource_subtype=custom` must be set "
         "when using this parameter.'", params=("resource_subtype",), pattern=r"custom_types\..*", value="custom"),
)


@dataclass(frozen=True)
class KnownViolation:
    """A request the real source sends that breaks a rule; tolerated (not answered 400) while it is listed."""
    route: str       # spec route, "GET /tasks"
    param: str       # the offending parameter ("opt_fields" for a field outside the enum)
    value: str       # the offending value (an opt_fields field), or "" for any value
    why: str


# Requests the source sends that real Asana would refuse, tolerated (and counted in
# `sim.stats.tolerated`) while the source is fixed. Empty: keep it so; the strict simulator is the
# point. (It held the memberships listings' opt_fields until the source asked only for offered fields.)
KNOWN_SOURCE_VIOLATIONS: tuple[KnownViolation, ...] = ()
