-- One row per project membership (a user in a project, with their access level).
-- grain: project_membership_gid
with source as (
    select * from project_memberships
)

select
    cast(gid as varchar) as project_membership_gid,
    cast(project_gid as varchar) as project_gid,
    cast(user_gid as varchar) as user_gid,
    cast(access_level as varchar) as access_level,
    cast(write_access as varchar) as write_access
from source
