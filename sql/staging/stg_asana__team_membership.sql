-- One row per team membership (a user in a team).
-- grain: team_membership_gid
with source as (
    select * from team_memberships
)

select
    cast(gid as varchar) as team_membership_gid,
    cast(team_gid as varchar) as team_gid,
    cast(user_gid as varchar) as user_gid,
    cast(is_guest as boolean) as is_guest,
    cast(is_admin as boolean) as is_admin,
    cast(is_limited_access as boolean) as is_limited_access
from source
