-- One row per section of a project, including sections detected as deleted (is_deleted; null = not deleted).
-- grain: section_gid
with source as (
    select * from sections
)

select
    cast(gid as varchar) as section_gid,
    cast(name as varchar) as section_name,
    cast(project_gid as varchar) as project_gid,
    created_at at time zone 'UTC' as created_at,
    coalesce(cast(is_deleted as boolean), false) as is_deleted,
    deleted_detected_at at time zone 'UTC' as deleted_detected_at
from source
