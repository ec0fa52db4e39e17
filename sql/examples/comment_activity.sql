-- Comment activity: comments per author in the last 28 days (UTC), on how many tasks, and the latest one.
-- Comments on deleted tasks are left out; an author Asana no longer lists shows by gid.
select
    stories.created_by_user_gid as author_user_gid,
    coalesce(users.user_name, stories.created_by_user_gid, '(unknown)') as author,
    count(*) as comments,
    count(distinct stories.task_gid) as tasks_commented,
    max(stories.created_at) as last_comment_at
from asana_analytics.stg_asana__story as stories
inner join asana_analytics.asana__task as tasks
    on stories.task_gid = tasks.task_gid
left join asana_analytics.asana__user as users
    on stories.created_by_user_gid = users.user_gid
where stories.story_type = 'comment'
    and stories.created_at >= now() at time zone 'UTC' - interval '28 days'
group by stories.created_by_user_gid, users.user_name
order by comments desc, author;
