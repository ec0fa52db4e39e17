-- Spans of a (non-deleted) task's assignee, from its creation to now: one row per span in which its assignee
-- (null: unassigned) stayed the same, from the assigned / unassigned stories of int_asana__task_story_events (the
-- last story at an instant wins). Before its first such story the task was assigned to the user an
-- 'unassigned' story removed, and unassigned before an 'assigned' story: Asana's assigned story does not name
-- whom it replaced, so a task created with an assignee and reassigned later shows as unassigned until the
-- reassignment. The current span holds the current assignee (a task without such stories has it for its whole
-- life; a last story that disagrees with the task row gives way to it).
-- grain: task_gid, valid_from
-- references: task_gid -> int_asana__task.task_gid
-- expect_zero: spans_change_the_assignee: select task_gid from (select task_gid, valid_from, valid_to,
--         assignee_user_gid, row_number() over (partition by task_gid order by valid_from) as span_number,
--         lag(assignee_user_gid) over (partition by task_gid order by valid_from) as before
--         from int_asana__task_assignee_span) as spans
--     where valid_to <= valid_from or (span_number > 1 and before is not distinct from assignee_user_gid)
-- expect_zero: current_span_agrees_with_task: select tasks.task_gid from int_asana__task as tasks
--     left join int_asana__task_assignee_span as spans
--     on tasks.task_gid = spans.task_gid and spans.valid_to is null
--     where spans.task_gid is null or spans.assignee_user_gid is distinct from tasks.assignee_user_gid
with tasks as (
    select * from int_asana__task
),

stories as (
    select
        task_gid,
        story_gid,
        changed_at,
        case when story_subtype = 'assigned' then assignee_user_gid end as assignee_user_gid,
        -- an 'unassigned' story names the user it removed: who held the task before it
        case when story_subtype = 'unassigned' then assignee_user_gid end as previous_assignee_user_gid
    from int_asana__task_story_events
    where change_kind = 'assignment'
        and changed_at is not null
),

numbered as (
    select
        stories.*,
        row_number() over (partition by task_gid order by changed_at, length(story_gid), story_gid)
            as story_number,
        row_number() over (partition by task_gid, changed_at order by length(story_gid) desc, story_gid desc)
            as last_at_instant
    from stories
),

spans as (
    select
        tasks.task_gid,
        tasks.created_at as valid_from,
        case when firsts.task_gid is null then tasks.assignee_user_gid else firsts.previous_assignee_user_gid end
            as assignee_user_gid
    from tasks
    left join numbered as firsts
        on tasks.task_gid = firsts.task_gid
        and firsts.story_number = 1
    where firsts.task_gid is null or firsts.changed_at > tasks.created_at
    union all
    select task_gid, changed_at as valid_from, assignee_user_gid
    from numbered
    where last_at_instant = 1
),

with_current as (
    select
        spans.task_gid,
        spans.valid_from,
        case
            when lead(spans.valid_from) over (partition by spans.task_gid order by spans.valid_from) is null
                then tasks.assignee_user_gid
            else spans.assignee_user_gid
        end as assignee_user_gid
    from spans
    inner join tasks
        on spans.task_gid = tasks.task_gid
),

changes as (
    select
        with_current.*,
        lag(assignee_user_gid) over (partition by task_gid order by valid_from) as before,
        row_number() over (partition by task_gid order by valid_from) as span_number
    from with_current
)

select
    task_gid,
    valid_from,
    lead(valid_from) over (partition by task_gid order by valid_from) as valid_to,
    lead(valid_from) over (partition by task_gid order by valid_from) is null as is_current,
    assignee_user_gid
from changes
where span_number = 1 or before is distinct from assignee_user_gid
