-- Every custom field change of a (non-deleted) task from *_custom_field_changed stories' structured columns.
-- old_value / new_value: text, enum option name or ISO date as text; numbers stay in *_number_value.
-- grain: story_gid
-- references: task_gid -> asana__task.task_gid
with events as (
    select * from int_asana__task_story_events
    where change_kind = 'custom_field'
),

fields as (
    select * from stg_asana__custom_field
),

options as (
    select * from stg_asana__custom_field_enum_option
)

select
    events.story_gid,
    events.task_gid,
    events.custom_field_gid,
    fields.custom_field_name,
    fields.custom_field_type,
    events.story_subtype,
    coalesce(events.old_text_value, old_options.enum_option_name, cast(events.old_date_value as varchar))
        as old_value,
    coalesce(events.new_text_value, new_options.enum_option_name, cast(events.new_date_value as varchar))
        as new_value,
    events.old_number_value,
    events.new_number_value,
    events.old_enum_value_gid,
    events.new_enum_value_gid,
    events.old_date_value,
    events.new_date_value,
    events.changed_at,
    events.changed_by_user_gid,
    events.changed_by_name
from events
left join fields
    on events.custom_field_gid = fields.custom_field_gid
left join options as old_options
    on events.old_enum_value_gid = old_options.enum_option_gid
left join options as new_options
    on events.new_enum_value_gid = new_options.enum_option_gid
