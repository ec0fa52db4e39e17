-- Every due date change of a (non-deleted) task from due_date_changed / dates_changed stories.
-- days_moved = new due date - old due date (null when either side is empty).
-- grain: story_gid
-- references: task_gid -> asana__task.task_gid
with events as (
    select * from int_asana__task_story_events
    where change_kind = 'due_date'
)

select
    story_gid,
    task_gid,
    story_subtype,
    old_due_on,
    new_due_on,
    old_due_at,
    new_due_at,
    date_diff('day', coalesce(old_due_on, cast(old_due_at as date)),
        coalesce(new_due_on, cast(new_due_at as date))) as days_moved,
    changed_at,
    changed_by_user_gid,
    changed_by_name
from events
