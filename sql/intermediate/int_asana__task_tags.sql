-- Tags of each (non-deleted) task, ordered by tag creation (gid) order. Deleted tags are dropped (unknown tags
-- kept, by gid).
-- grain: task_gid
-- references: task_gid -> int_asana__task.task_gid
with task_tags as (
    select * from stg_asana__task_tag
),

tags as (
    select * from stg_asana__tag
),

tasks as (
    -- deleted tasks (and their stories, tags, ...) are left out
    select * from int_asana__task
)

select
    task_tags.task_gid,
    count(*) as number_of_tags,
    string_agg(task_tags.tag_gid, ', ' order by length(task_tags.tag_gid), task_tags.tag_gid) as tag_gids,
    string_agg(coalesce(tags.tag_name, task_tags.tag_gid), ', '
        order by length(task_tags.tag_gid), task_tags.tag_gid) as tags
from task_tags
inner join tasks
    on task_tags.task_gid = tasks.task_gid
left join tags
    on task_tags.tag_gid = tags.tag_gid
where not coalesce(tags.is_deleted, false)
group by task_tags.task_gid
