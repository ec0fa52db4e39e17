-- One row per dependency: task_gid is blocked by depends_on_task_gid.
-- grain: task_gid, depends_on_task_gid
with source as (
    select * from task_dependencies
)

select
    cast(task_gid as varchar) as task_gid,
    cast(depends_on_gid as varchar) as depends_on_task_gid
from source
