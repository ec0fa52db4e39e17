-- One row per tag.
-- grain: tag_gid
with source as (
    select * from tags
)

select
    cast(gid as varchar) as tag_gid,
    cast(name as varchar) as tag_name,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(color as varchar) as color,
    cast(notes as varchar) as tag_notes,
    created_at at time zone 'UTC' as created_at,
    cast(permalink_url as varchar) as tag_url
from source
