-- One row per workspace membership (a user in a workspace, with their role).
-- grain: workspace_membership_gid
with source as (
    select * from workspace_memberships
)

select
    cast(gid as varchar) as workspace_membership_gid,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(user_gid as varchar) as user_gid,
    cast(is_active as boolean) as is_active,
    cast(is_admin as boolean) as is_admin,
    cast(is_guest as boolean) as is_guest,
    cast(is_view_only as boolean) as is_view_only,
    created_at at time zone 'UTC' as created_at
from source
