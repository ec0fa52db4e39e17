-- Custom field values of (non-deleted) tasks, one row per task and custom field the task has (empty values
-- included: display_value null), with the field's name and type from its definition (else from the value).
-- The one place task values meet field definitions: asana__custom_field_values, int_asana__task_custom_fields
-- and asana__task_custom_field_state_history read it.
-- grain: task_gid, custom_field_gid
-- references: task_gid -> int_asana__task.task_gid
with values_ as (
    select * from stg_asana__task_custom_field_value
),

fields as (
    select * from stg_asana__custom_field
),

tasks as (
    -- deleted tasks (and their stories, tags, ...) are left out
    select * from int_asana__task
)

select
    values_.task_gid,
    values_.custom_field_gid,
    tasks.workspace_gid,
    coalesce(fields.custom_field_name, values_.custom_field_name) as custom_field_name,
    coalesce(fields.custom_field_type, values_.custom_field_type) as custom_field_type,
    fields.number_precision,
    values_.display_value,
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
