-- One row per team.
-- grain: team_gid
with source as (
    select * from teams
)

select
    cast(gid as varchar) as team_gid,
    cast(name as varchar) as team_name,
    cast(description as varchar) as team_description,
    cast(organization_gid as varchar) as workspace_gid,
    cast(visibility as varchar) as visibility,
    cast(permalink_url as varchar) as team_url
from source
