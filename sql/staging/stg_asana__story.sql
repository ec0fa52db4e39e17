-- One row per story (comment or system event) on a task, with its structured change columns.
-- grain: story_gid
with source as (
    select * from stories
)

select
    cast(gid as varchar) as story_gid,
    cast(task_gid as varchar) as task_gid,
    created_at at time zone 'UTC' as created_at,
    cast(created_by_gid as varchar) as created_by_user_gid,
    cast(resource_subtype as varchar) as story_subtype,
    cast(type as varchar) as story_type,
    cast(text as varchar) as story_text,
    cast(is_pinned as boolean) as is_pinned,
    cast(old_section_gid as varchar) as old_section_gid,
    cast(new_section_gid as varchar) as new_section_gid,
    cast(assignee_gid as varchar) as assignee_user_gid,
    cast(old_due_on as date) as old_due_on,
    cast(new_due_on as date) as new_due_on,
    old_due_at at time zone 'UTC' as old_due_at,
    new_due_at at time zone 'UTC' as new_due_at,
    cast(custom_field_gid as varchar) as custom_field_gid,
    cast(old_text_value as varchar) as old_text_value,
    cast(new_text_value as varchar) as new_text_value,
    cast(old_number_value as double) as old_number_value,
    cast(new_number_value as double) as new_number_value,
    cast(old_enum_value_gid as varchar) as old_enum_value_gid,
    cast(new_enum_value_gid as varchar) as new_enum_value_gid,
    cast(old_date_value as date) as old_date_value,
    cast(new_date_value as date) as new_date_value,
    cast(old_name as varchar) as old_name,
    cast(new_name as varchar) as new_name
from source
