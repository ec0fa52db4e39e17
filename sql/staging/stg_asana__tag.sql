-- One row per tag, including tags detected as deleted (is_deleted; null means not deleted).
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
    cast(permalink_url as varchar) as tag_url,
    coalesce(cast(is_deleted as boolean), false) as is_deleted,
    deleted_detected_at at time zone 'UTC' as deleted_detected_at
from source
