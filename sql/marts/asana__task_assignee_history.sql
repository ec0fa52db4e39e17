-- Every (un)assignment of a (non-deleted) task from assigned/unassigned stories, as validity intervals:
-- valid_to is the next change (null = still current). assignee_user_gid is the assignee from then on (null after
-- an unassignment). previous_assignee_user_gid is who held the task before: for an unassignment the user the
-- story names as removed (its structured assignee), else the assignee set by the task's previous story (null
-- when unknown, e.g. a task created with an assignee and reassigned: no story recorded the first assignee).
-- grain: story_gid
-- references: task_gid -> asana__task.task_gid
-- expect_zero: accepted_event_type: select story_gid from asana__task_assignee_history
--     where event_type not in ('assigned', 'unassigned')
--     or (event_type = 'assigned') <> (assignee_user_gid is not null)
-- expect_zero: valid_to_after_valid_from: select story_gid from asana__task_assignee_history
--     where valid_to < valid_from or is_current <> (valid_to is null)
with events as (
    select
        story_gid,
        task_gid,
        case when story_subtype = 'assigned' then 'assigned' else 'unassigned' end as event_type,
        case when story_subtype = 'assigned' then assignee_user_gid end as assignee_user_gid,
        -- an 'unassigned' story carries the user it removed in its assignee column
        case when story_subtype = 'unassigned' then assignee_user_gid end as removed_user_gid,
        changed_at,
        changed_by_user_gid,
        changed_by_name
    from int_asana__task_story_events
    where change_kind = 'assignment'
),

users as (
    select * from stg_asana__user
),

ordered as (
    select
        events.*,
        coalesce(
            removed_user_gid,
            lag(assignee_user_gid) over (partition by task_gid order by changed_at, story_gid)
        ) as previous_assignee_user_gid,
        lead(changed_at) over (partition by task_gid order by changed_at, story_gid) as valid_to
    from events
)

select
    ordered.story_gid,
    ordered.task_gid,
    ordered.event_type,
    ordered.assignee_user_gid,
    assignees.user_name as assignee_name,
    ordered.previous_assignee_user_gid,
    ordered.changed_at as valid_from,
    ordered.valid_to,
    ordered.valid_to is null as is_current,
    ordered.changed_by_user_gid,
    ordered.changed_by_name
from ordered
left join users as assignees
    on ordered.assignee_user_gid = assignees.user_gid
