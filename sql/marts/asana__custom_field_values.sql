-- Custom field values of non-deleted tasks, long format: one row per task and custom field.
-- grain: task_gid, custom_field_gid
-- references: task_gid -> asana__task.task_gid
with values_ as (
    select * from stg_asana__task_custom_field_value
),

fields as (
    select * from stg_asana__custom_field
),

tasks as (
    select * from int_asana__task
)

select
    values_.task_gid,
    values_.custom_field_gid,
    tasks.workspace_gid,
    coalesce(fields.custom_field_name, values_.custom_field_name) as custom_field_name,
    coalesce(fields.custom_field_type, values_.custom_field_type) as custom_field_type,
    values_.display_value,
    values_.display_value is null as is_empty,
    values_.text_value,
    values_.number_value,
    values_.enum_value_gid,
    values_.enum_value_name,
    values_.multi_enum_value_gids,
    values_.multi_enum_value_names,
    values_.date_value,
    values_.people_value_gids
from values_
inner join tasks
    on values_.task_gid = tasks.task_gid
left join fields
    on values_.custom_field_gid = fields.custom_field_gid
