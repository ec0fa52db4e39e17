-- One row per task or subtask, including tasks detected as deleted (is_deleted; null means not deleted).
-- grain: task_gid
with source as (
    select * from tasks
)

select
    cast(gid as varchar) as task_gid,
    cast(name as varchar) as task_name,
    cast(resource_subtype as varchar) as task_subtype,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(parent_gid as varchar) as parent_task_gid,
    cast(assignee_gid as varchar) as assignee_user_gid,
    coalesce(cast(completed as boolean), false) as is_completed,
    completed_at at time zone 'UTC' as completed_at,
    cast(completed_by_gid as varchar) as completed_by_user_gid,
    created_at at time zone 'UTC' as created_at,
    modified_at at time zone 'UTC' as modified_at,
    cast(due_on as date) as due_on,
    due_at at time zone 'UTC' as due_at,
    cast(start_on as date) as start_on,
    start_at at time zone 'UTC' as start_at,
    cast(notes as varchar) as task_notes,
    cast(num_subtasks as bigint) as number_of_subtasks,
    cast(num_likes as bigint) as number_of_likes,
    cast(permalink_url as varchar) as task_url,
    coalesce(cast(is_deleted as boolean), false) as is_deleted,
    deleted_detected_at at time zone 'UTC' as deleted_detected_at
from source
