-- One row per follower of a task.
-- grain: task_gid, user_gid
with source as (
    select * from task_followers
)

select
    cast(task_gid as varchar) as task_gid,
    cast(user_gid as varchar) as user_gid
from source
