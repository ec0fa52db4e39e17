-- Custom field values of each (non-deleted) task as one text summary "Field: value; Field: value" (fields in
-- gid order).
-- grain: task_gid
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
    count(values_.display_value) as number_of_custom_fields_set,
    string_agg(coalesce(fields.custom_field_name, values_.custom_field_name, values_.custom_field_gid)
        || ': ' || values_.display_value, '; '
        order by length(values_.custom_field_gid), values_.custom_field_gid) as custom_fields
from values_
inner join tasks
    on values_.task_gid = tasks.task_gid
left join fields
    on values_.custom_field_gid = fields.custom_field_gid
where values_.display_value is not null
group by values_.task_gid
