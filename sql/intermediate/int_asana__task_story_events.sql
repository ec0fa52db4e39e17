-- One row per story of a (non-deleted) task that changes what the history models track, with who made it:
-- change_kind 'completion' (marked_complete / marked_incomplete), 'assignment' (assigned / unassigned),
-- 'due_date' (due_date_changed / dates_changed, or any old/new due date), 'section' (section_changed, or any
-- old/new section) and 'custom_field' (any story naming a custom field), read from the stories' structured
-- columns, never their text. The history marts build on it instead of each joining stories, live tasks and
-- users again. Stories without an author are kept (changed_by_* null).
-- grain: story_gid
-- references: task_gid -> int_asana__task.task_gid
-- expect_zero: accepted_change_kind: select story_gid from int_asana__task_story_events
--     where change_kind not in ('completion', 'assignment', 'due_date', 'section', 'custom_field')
with stories as (
    select * from stg_asana__story
),

tasks as (
    -- deleted tasks (and their stories) are left out
    select * from int_asana__task
),

users as (
    select * from stg_asana__user
),

classified as (
    select
        stories.*,
        case
            when stories.story_subtype in ('marked_complete', 'marked_incomplete') then 'completion'
            when stories.story_subtype in ('assigned', 'unassigned') then 'assignment'
            when stories.story_subtype in ('due_date_changed', 'dates_changed')
                or stories.old_due_on is not null or stories.new_due_on is not null
                or stories.old_due_at is not null or stories.new_due_at is not null then 'due_date'
            when stories.story_subtype = 'section_changed'
                or stories.old_section_gid is not null or stories.new_section_gid is not null then 'section'
            when stories.custom_field_gid is not null then 'custom_field'
        end as change_kind
    from stories
)

select
    classified.story_gid,
    classified.task_gid,
    classified.change_kind,
    classified.story_subtype,
    classified.created_at as changed_at,
    classified.created_by_user_gid as changed_by_user_gid,
    users.user_name as changed_by_name,
    classified.assignee_user_gid,
    classified.old_section_gid,
    classified.new_section_gid,
    classified.old_due_on,
    classified.new_due_on,
    classified.old_due_at,
    classified.new_due_at,
    classified.custom_field_gid,
    classified.old_text_value,
    classified.new_text_value,
    classified.old_number_value,
    classified.new_number_value,
    classified.old_enum_value_gid,
    classified.new_enum_value_gid,
    classified.old_date_value,
    classified.new_date_value
from classified
inner join tasks
    on classified.task_gid = tasks.task_gid
left join users
    on classified.created_by_user_gid = users.user_gid
where classified.change_kind is not null
