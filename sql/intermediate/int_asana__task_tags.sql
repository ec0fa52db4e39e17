-- Tags of each task, ordered by tag creation (gid) order. Deleted tags are dropped (unknown tags kept, by gid).
-- grain: task_gid
with task_tags as (
    select * from stg_asana__task_tag
),

tags as (
    select * from stg_asana__tag
)

select
    task_tags.task_gid,
    count(*) as number_of_tags,
    string_agg(task_tags.tag_gid, ', ' order by length(task_tags.tag_gid), task_tags.tag_gid) as tag_gids,
    string_agg(coalesce(tags.tag_name, task_tags.tag_gid), ', '
        order by length(task_tags.tag_gid), task_tags.tag_gid) as tags
from task_tags
left join tags
    on task_tags.tag_gid = tags.tag_gid
where not coalesce(tags.is_deleted, false)
group by task_tags.task_gid
