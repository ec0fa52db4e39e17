-- Custom field values of each (non-deleted) task as one text summary "Field: value; Field: value" (fields in
-- gid order; empty values left out).
-- grain: task_gid
-- references: task_gid -> int_asana__task.task_gid
with field_values as (
    select * from int_asana__task_custom_field_values
)

select
    task_gid,
    count(display_value) as number_of_custom_fields_set,
    string_agg(coalesce(custom_field_name, custom_field_gid) || ': ' || display_value, '; '
        order by length(custom_field_gid), custom_field_gid) as custom_fields
from field_values
where display_value is not null
group by task_gid
