-- The state of each (non-deleted) task over time: one row per task and span in which its tracked state stayed
-- the same, from its creation to now. Tracked: completion, assignee, due date and due time, the section in each
-- project it is in now, the values of its custom fields. valid_from is the span's start (the task's creation,
-- or a change), valid_to the next span's start (null: the current state, equal to asana__task). Rebuilt from
-- the structured stories and the current task row: each kind of state has spans of its own
-- (int_asana__task_completion_span, int_asana__task_assignee_span, int_asana__task_due_date_span,
-- asana__task_section_state_history, asana__task_custom_field_state_history: see them for what is assumed
-- where no story tells) and a row starts wherever one of them does. Sections and custom fields are summarised
-- as asana__task does (projects_sections, custom_fields); their values per project and per field are in the
-- two companion models. State as of time T: valid_from <= T and (valid_to is null or T < valid_to).
-- grain: task_gid, valid_from
-- references: task_gid -> asana__task.task_gid, assignee_user_gid -> asana__user.user_gid
-- expect_zero: spans_cover_the_life: select tasks.task_gid from asana__task as tasks
--     left join (select task_gid, min(valid_from) as first_from, count(*) filter (where valid_to <= valid_from)
--         as backwards from asana__task_state_history group by task_gid) as states
--     on tasks.task_gid = states.task_gid
--     where states.task_gid is null or states.first_from > tasks.created_at or states.backwards > 0
-- expect_zero: current_span_equals_task: select tasks.task_gid from asana__task as tasks
--     left join asana__task_state_history as states on tasks.task_gid = states.task_gid and states.is_current
--     where states.task_gid is null or states.is_completed <> tasks.is_completed
--     or states.assignee_user_gid is distinct from tasks.assignee_user_gid
--     or states.due_date is distinct from tasks.due_date or states.due_at is distinct from tasks.due_at
--     or states.projects_sections is distinct from tasks.projects_sections
--     or states.custom_fields is distinct from tasks.custom_fields
--     or states.number_of_projects <> tasks.number_of_projects
with tasks as (
    select * from int_asana__task
),

completion as (
    select * from int_asana__task_completion_span
),

assignees as (
    select * from int_asana__task_assignee_span
),

due_dates as (
    select * from int_asana__task_due_date_span
),

sections as (
    select * from asana__task_section_state_history
),

custom_fields as (
    select * from asana__task_custom_field_state_history
),

users as (
    select * from stg_asana__user
),

starts as (
    select task_gid, valid_from from completion
    union
    select task_gid, valid_from from assignees
    union
    select task_gid, valid_from from due_dates
    union
    select task_gid, valid_from from sections
    union
    select task_gid, valid_from from custom_fields
),

spans as (
    select
        task_gid,
        valid_from,
        lead(valid_from) over (partition by task_gid order by valid_from) as valid_to
    from starts
),

section_lists as (
    select
        spans.task_gid,
        spans.valid_from,
        count(*) as number_of_projects,
        string_agg(coalesce(sections.project_name, sections.project_gid) || ': '
            || coalesce(case when not sections.is_section_deleted then sections.section_name end, '(no section)'),
            ', ' order by length(sections.project_gid), sections.project_gid) as projects_sections
    from spans
    inner join sections
        on spans.task_gid = sections.task_gid
        and sections.valid_from <= spans.valid_from
        and (sections.valid_to is null or spans.valid_from < sections.valid_to)
    group by spans.task_gid, spans.valid_from
),

field_lists as (
    select
        spans.task_gid,
        spans.valid_from,
        count(*) as number_of_custom_fields_set,
        string_agg(coalesce(custom_fields.custom_field_name, custom_fields.custom_field_gid) || ': '
            || custom_fields.display_value, '; '
            order by length(custom_fields.custom_field_gid), custom_fields.custom_field_gid) as custom_fields
    from spans
    inner join custom_fields
        on spans.task_gid = custom_fields.task_gid
        and custom_fields.valid_from <= spans.valid_from
        and (custom_fields.valid_to is null or spans.valid_from < custom_fields.valid_to)
    where custom_fields.display_value is not null
    group by spans.task_gid, spans.valid_from
)

select
    spans.task_gid,
    spans.valid_from,
    spans.valid_to,
    spans.valid_to is null as is_current,
    tasks.workspace_gid,
    tasks.task_name,
    tasks.is_subtask,
    completion.is_completed,
    assignees.assignee_user_gid,
    users.user_name as assignee_name,
    due_dates.due_on,
    due_dates.due_at,
    due_dates.due_date,
    coalesce(section_lists.number_of_projects, 0) as number_of_projects,
    section_lists.projects_sections,
    coalesce(field_lists.number_of_custom_fields_set, 0) as number_of_custom_fields_set,
    field_lists.custom_fields
from spans
inner join tasks
    on spans.task_gid = tasks.task_gid
inner join completion
    on spans.task_gid = completion.task_gid
    and completion.valid_from <= spans.valid_from
    and (completion.valid_to is null or spans.valid_from < completion.valid_to)
inner join assignees
    on spans.task_gid = assignees.task_gid
    and assignees.valid_from <= spans.valid_from
    and (assignees.valid_to is null or spans.valid_from < assignees.valid_to)
inner join due_dates
    on spans.task_gid = due_dates.task_gid
    and due_dates.valid_from <= spans.valid_from
    and (due_dates.valid_to is null or spans.valid_from < due_dates.valid_to)
left join section_lists
    on spans.task_gid = section_lists.task_gid
    and spans.valid_from = section_lists.valid_from
left join field_lists
    on spans.task_gid = field_lists.task_gid
    and spans.valid_from = field_lists.valid_from
left join users
    on assignees.assignee_user_gid = users.user_gid
