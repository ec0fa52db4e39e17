-- One row per task per project it belongs to, with the task's section in that project.
-- grain: task_gid, project_gid
with source as (
    select * from task_memberships
)

select
    cast(task_gid as varchar) as task_gid,
    cast(project_gid as varchar) as project_gid,
    cast(section_gid as varchar) as section_gid
from source
