-- Every due date change of a (non-deleted) task from due_date_changed / dates_changed stories.
-- days_moved = new due date - old due date (null when either side is empty).
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
    stories.story_subtype,
    stories.old_due_on,
    stories.new_due_on,
    stories.old_due_at,
    stories.new_due_at,
    date_diff('day', coalesce(stories.old_due_on, cast(stories.old_due_at as date)),
        coalesce(stories.new_due_on, cast(stories.new_due_at as date))) as days_moved,
    stories.created_at as changed_at,
    stories.created_by_user_gid as changed_by_user_gid,
    users.user_name as changed_by_name
from stories
inner join tasks
    on stories.task_gid = tasks.task_gid
left join users
    on stories.created_by_user_gid = users.user_gid
where stories.story_subtype in ('due_date_changed', 'dates_changed')
    or stories.old_due_on is not null
    or stories.new_due_on is not null
    or stories.old_due_at is not null
    or stories.new_due_at is not null
