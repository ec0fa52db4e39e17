-- Every completion and reopening of a (non-deleted) task from marked_complete / marked_incomplete stories.
-- grain: story_gid
-- references: task_gid -> asana__task.task_gid
with stories as (
    select * from stg_asana__story
),

tasks as (
    select * from int_asana__task
),

users as (
    select * from stg_asana__user
)

select
    stories.story_gid,
    stories.task_gid,
    case when stories.story_subtype = 'marked_complete' then 'completed' else 'reopened' end as event_type,
    row_number() over (partition by stories.task_gid, stories.story_subtype
        order by stories.created_at, stories.story_gid) as event_number,
    stories.created_at as changed_at,
    stories.created_by_user_gid as changed_by_user_gid,
    users.user_name as changed_by_name
from stories
inner join tasks
    on stories.task_gid = tasks.task_gid
left join users
    on stories.created_by_user_gid = users.user_gid
where stories.story_subtype in ('marked_complete', 'marked_incomplete')
