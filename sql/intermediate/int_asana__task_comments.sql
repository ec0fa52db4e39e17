-- Comment counts per task. Comments without an author are counted (no join to users).
-- grain: task_gid
with stories as (
    select * from stg_asana__story
)

select
    task_gid,
    count(*) as number_of_comments,
    count(distinct created_by_user_gid) as number_of_commenters,
    min(created_at) as first_comment_at,
    max(created_at) as last_comment_at
from stories
where story_type = 'comment' or story_subtype = 'comment_added'
group by task_gid
