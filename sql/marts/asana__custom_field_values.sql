-- Custom field values of non-deleted tasks, long format: one row per task and custom field.
-- grain: task_gid, custom_field_gid
-- references: task_gid -> asana__task.task_gid
with field_values as (
    select * from int_asana__task_custom_field_values
)

select
    task_gid,
    custom_field_gid,
    workspace_gid,
    custom_field_name,
    custom_field_type,
    display_value,
    display_value is null as is_empty,
    text_value,
    number_value,
    enum_value_gid,
    enum_value_name,
    multi_enum_value_gids,
    multi_enum_value_names,
    date_value,
    people_value_gids
from field_values
