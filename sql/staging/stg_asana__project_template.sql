-- One row per project template.
-- grain: project_template_gid
with source as (
    select * from project_templates
)

select
    cast(gid as varchar) as project_template_gid,
    cast(name as varchar) as project_template_name,
    cast(description as varchar) as description,
    cast(owner_gid as varchar) as owner_user_gid,
    cast(team_gid as varchar) as team_gid,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(public as boolean) as is_public,
    cast(color as varchar) as color
from source
