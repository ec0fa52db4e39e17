-- One row per Asana workspace or organization.
-- grain: workspace_gid
with source as (
    select * from workspaces
)

select
    cast(gid as varchar) as workspace_gid,
    cast(name as varchar) as workspace_name,
    cast(is_organization as boolean) as is_organization,
    cast(email_domains as varchar) as email_domains
from source
