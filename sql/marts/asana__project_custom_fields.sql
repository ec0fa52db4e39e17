-- Pivot of custom field values per project: one row per project and task in it, with every field the task
-- has as a JSON object text {"field name": "display value" | null, ...} (keys in field gid order). A static
-- column per field is impossible in plain SQL (fields differ per workspace); parse custom_fields_json with
-- your engine's JSON functions (duckdb: custom_fields_json::json->>'Priority'; postgres: ::jsonb->>'Priority').
-- grain: project_gid, task_gid
-- references: task_gid -> asana__task.task_gid, project_gid -> asana__project.project_gid
with project_tasks as (
    select * from int_asana__project_task
),

field_values as (
    select * from asana__custom_field_values
),

escaped as (
    select
        task_gid,
        custom_field_gid,
        '"' || replace(replace(replace(replace(replace(custom_field_name, chr(92), chr(92) || chr(92)),
            '"', chr(92) || '"'), chr(10), chr(92) || 'n'), chr(13), chr(92) || 'r'), chr(9), chr(92) || 't')
            || '"' as json_key,
        case
            when display_value is null then 'null'
            else '"' || replace(replace(replace(replace(replace(display_value, chr(92), chr(92) || chr(92)),
                '"', chr(92) || '"'), chr(10), chr(92) || 'n'), chr(13), chr(92) || 'r'), chr(9), chr(92) || 't')
                || '"'
        end as json_value
    from field_values
    where custom_field_name is not null
),

per_task as (
    select
        task_gid,
        count(*) as number_of_custom_fields,
        '{' || string_agg(json_key || ': ' || json_value, ', '
            order by length(custom_field_gid), custom_field_gid) || '}' as custom_fields_json
    from escaped
    group by task_gid
)

select
    project_tasks.project_gid,
    project_tasks.task_gid,
    coalesce(per_task.number_of_custom_fields, 0) as number_of_custom_fields,
    coalesce(per_task.custom_fields_json, '{}') as custom_fields_json
from project_tasks
left join per_task
    on project_tasks.task_gid = per_task.task_gid
