-- One row per attachment on a task.
-- grain: attachment_gid
with source as (
    select * from attachments
)

select
    cast(gid as varchar) as attachment_gid,
    cast(task_gid as varchar) as task_gid,
    cast(name as varchar) as attachment_name,
    cast(resource_subtype as varchar) as attachment_subtype,
    created_at at time zone 'UTC' as created_at,
    cast(size as bigint) as size_bytes,
    cast(host as varchar) as host,
    cast(view_url as varchar) as view_url,
    cast(permanent_url as varchar) as permanent_url
from source
