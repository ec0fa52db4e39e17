-- Comment counts per (non-deleted) task. Comments without an author are counted (no join to users).
-- grain: task_gid
-- references: task_gid -> int_asana__task.task_gid
with stories as (
    select * from stg_asana__story
),

tasks as (
    -- deleted tasks (and their stories, tags, ...) are left out
    select * from int_asana__task
)

select
    stories.task_gid,
    count(*) as number_of_comments,
    count(distinct stories.created_by_user_gid) as number_of_commenters,
    min(stories.created_at) as first_comment_at,
    max(stories.created_at) as last_comment_at
from stories
inner join tasks
    on stories.task_gid = tasks.task_gid
where stories.story_type = 'comment' or stories.story_subtype = 'comment_added'
group by stories.task_gid
