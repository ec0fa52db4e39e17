-- One row per user per workspace they belong to.
-- grain: workspace_gid, user_gid
with source as (
    select * from workspace_users
)

select
    cast(workspace_gid as varchar) as workspace_gid,
    cast(user_gid as varchar) as user_gid
from source
