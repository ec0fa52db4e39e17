-- Every custom field change of a (non-deleted) task from *_custom_field_changed stories' structured columns.
-- old_value / new_value: text, enum option name or ISO date as text; numbers stay in *_number_value.
-- grain: story_gid
-- references: task_gid -> asana__task.task_gid
with stories as (
    select * from stg_asana__story
),

tasks as (
    select * from int_asana__task
),

fields as (
    select * from stg_asana__custom_field
),

options as (
    select * from stg_asana__custom_field_enum_option
),

users as (
    select * from stg_asana__user
)

select
    stories.story_gid,
    stories.task_gid,
    stories.custom_field_gid,
    fields.custom_field_name,
    fields.custom_field_type,
    stories.story_subtype,
    coalesce(stories.old_text_value, old_options.enum_option_name, cast(stories.old_date_value as varchar))
        as old_value,
    coalesce(stories.new_text_value, new_options.enum_option_name, cast(stories.new_date_value as varchar))
        as new_value,
    stories.old_number_value,
    stories.new_number_value,
    stories.old_enum_value_gid,
    stories.new_enum_value_gid,
    stories.old_date_value,
    stories.new_date_value,
    stories.created_at as changed_at,
    stories.created_by_user_gid as changed_by_user_gid,
    users.user_name as changed_by_name
from stories
inner join tasks
    on stories.task_gid = tasks.task_gid
left join fields
    on stories.custom_field_gid = fields.custom_field_gid
left join options as old_options
    on stories.old_enum_value_gid = old_options.enum_option_gid
left join options as new_options
    on stories.new_enum_value_gid = new_options.enum_option_gid
left join users
    on stories.created_by_user_gid = users.user_gid
where stories.custom_field_gid is not null
