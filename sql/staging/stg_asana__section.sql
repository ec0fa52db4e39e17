-- One row per section of a project.
-- grain: section_gid
with source as (
    select * from sections
)

select
    cast(gid as varchar) as section_gid,
    cast(name as varchar) as section_name,
    cast(project_gid as varchar) as project_gid,
    created_at at time zone 'UTC' as created_at
from source
