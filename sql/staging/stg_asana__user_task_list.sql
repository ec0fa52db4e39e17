-- One row per user task list ("My tasks") of a user in a workspace.
-- grain: user_task_list_gid
with source as (
    select * from user_task_lists
)

select
    cast(gid as varchar) as user_task_list_gid,
    cast(name as varchar) as user_task_list_name,
    cast(owner_gid as varchar) as owner_user_gid,
    cast(workspace_gid as varchar) as workspace_gid
from source
