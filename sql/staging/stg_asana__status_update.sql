-- One row per status update of a project, portfolio or goal (parent_type says which).
-- grain: status_update_gid
with source as (
    select * from status_updates
)

select
    cast(gid as varchar) as status_update_gid,
    cast(parent_gid as varchar) as parent_gid,
    cast(parent_type as varchar) as parent_type,
    cast(resource_subtype as varchar) as status_update_subtype,
    cast(status_type as varchar) as status_type,
    cast(title as varchar) as title,
    cast(text as varchar) as status_text,
    created_at at time zone 'UTC' as created_at,
    modified_at at time zone 'UTC' as modified_at,
    cast(created_by_gid as varchar) as created_by_user_gid,
    cast(author_gid as varchar) as author_user_gid
from source
