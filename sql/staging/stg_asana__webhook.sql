-- One row per webhook registered in a workspace.
-- grain: webhook_gid
with source as (
    select * from webhooks
)

select
    cast(gid as varchar) as webhook_gid,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(resource_gid as varchar) as resource_gid,
    cast(resource_type as varchar) as resource_type,
    cast(target as varchar) as target_url,
    cast(active as boolean) as is_active,
    created_at at time zone 'UTC' as created_at,
    last_success_at at time zone 'UTC' as last_success_at,
    last_failure_at at time zone 'UTC' as last_failure_at,
    cast(last_failure_content as varchar) as last_failure_content
from source
