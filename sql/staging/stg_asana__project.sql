-- One row per project, including projects detected as deleted (is_deleted; null means not deleted).
-- Timestamps are converted to UTC (timestamp without time zone).
-- grain: project_gid
with source as (
    select * from projects
)

select
    cast(gid as varchar) as project_gid,
    cast(name as varchar) as project_name,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(team_gid as varchar) as team_gid,
    cast(owner_gid as varchar) as owner_user_gid,
    coalesce(cast(archived as boolean), false) as is_archived,
    cast(color as varchar) as color,
    created_at at time zone 'UTC' as created_at,
    modified_at at time zone 'UTC' as modified_at,
    cast(due_on as date) as due_date,
    cast(start_on as date) as start_date,
    cast(notes as varchar) as project_notes,
    cast(privacy_setting as varchar) as privacy_setting,
    coalesce(cast(completed as boolean), false) as is_completed,
    completed_at at time zone 'UTC' as completed_at,
    cast(default_view as varchar) as default_view,
    cast(permalink_url as varchar) as project_url,
    coalesce(cast(is_deleted as boolean), false) as is_deleted,
    deleted_detected_at at time zone 'UTC' as deleted_detected_at
from source
