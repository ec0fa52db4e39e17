-- One row per custom field value set on a task.
-- grain: task_gid, custom_field_gid
with source as (
    select * from task_custom_field_values
)

select
    cast(task_gid as varchar) as task_gid,
    cast(custom_field_gid as varchar) as custom_field_gid,
    cast(custom_field_name as varchar) as custom_field_name,
    cast(resource_subtype as varchar) as custom_field_type,
    cast(text_value as varchar) as text_value,
    cast(number_value as double) as number_value,
    cast(enum_value_gid as varchar) as enum_value_gid,
    cast(enum_value_name as varchar) as enum_value_name,
    cast(multi_enum_value_gids as varchar) as multi_enum_value_gids,
    cast(multi_enum_value_names as varchar) as multi_enum_value_names,
    cast(date_value as date) as date_value,
    cast(people_value_gids as varchar) as people_value_gids,
    cast(display_value as varchar) as display_value
from source
