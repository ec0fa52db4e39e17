-- One row per legacy project status (Asana's older status objects; see stg_asana__status_update).
-- grain: project_status_gid
with source as (
    select * from project_statuses
)

select
    cast(gid as varchar) as project_status_gid,
    cast(project_gid as varchar) as project_gid,
    cast(title as varchar) as title,
    cast(text as varchar) as status_text,
    cast(color as varchar) as color,
    created_at at time zone 'UTC' as created_at,
    modified_at at time zone 'UTC' as modified_at,
    cast(created_by_gid as varchar) as created_by_user_gid
from source
