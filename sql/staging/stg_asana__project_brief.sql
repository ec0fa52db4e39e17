-- One row per project brief (at most one per project).
-- grain: project_brief_gid
with source as (
    select * from project_briefs
)

select
    cast(gid as varchar) as project_brief_gid,
    cast(project_gid as varchar) as project_gid,
    cast(title as varchar) as title,
    cast(text as varchar) as brief_text,
    cast(permalink_url as varchar) as brief_url
from source
