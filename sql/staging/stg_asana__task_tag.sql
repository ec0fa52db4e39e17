-- One row per tag on a task.
-- grain: task_gid, tag_gid
with source as (
    select * from task_tags
)

select
    cast(task_gid as varchar) as task_gid,
    cast(tag_gid as varchar) as tag_gid
from source
