-- Every completion and reopening of a (non-deleted) task from marked_complete / marked_incomplete stories.
-- event_number counts the task's completions (and, separately, its reopenings) in time order. The metrics
-- count completions from int_asana__task_completion_span, which also covers tasks without these stories.
-- grain: story_gid
-- references: task_gid -> asana__task.task_gid
-- expect_zero: accepted_event_type: select story_gid from asana__task_completion_history
--     where event_type not in ('completed', 'reopened') or event_number < 1
with events as (
    select * from int_asana__task_story_events
    where change_kind = 'completion'
)

select
    story_gid,
    task_gid,
    case when story_subtype = 'marked_complete' then 'completed' else 'reopened' end as event_type,
    row_number() over (partition by task_gid, story_subtype
        order by changed_at, story_gid) as event_number,
    changed_at,
    changed_by_user_gid,
    changed_by_name
from events
