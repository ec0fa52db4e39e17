-- Followers of each (non-deleted) task (names; the gid when the user is unknown), ordered by user gid.
-- grain: task_gid
-- references: task_gid -> int_asana__task.task_gid
with followers as (
    select * from stg_asana__task_follower
),

users as (
    select * from stg_asana__user
),

tasks as (
    -- deleted tasks (and their stories, tags, ...) are left out
    select * from int_asana__task
)

select
    followers.task_gid,
    count(*) as number_of_followers,
    string_agg(followers.user_gid, ', ' order by length(followers.user_gid), followers.user_gid) as follower_gids,
    string_agg(coalesce(users.user_name, followers.user_gid), ', '
        order by length(followers.user_gid), followers.user_gid) as followers
from followers
inner join tasks
    on followers.task_gid = tasks.task_gid
left join users
    on followers.user_gid = users.user_gid
group by followers.task_gid
