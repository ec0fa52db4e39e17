-- One row per dependent: dependent_task_gid is blocked by task_gid (the reverse of stg_asana__task_dependency).
-- grain: task_gid, dependent_task_gid
with source as (
    select * from task_dependents
)

select
    cast(task_gid as varchar) as task_gid,
    cast(dependent_gid as varchar) as dependent_task_gid
from source
