-- Spans of a (non-deleted) task's due date, from its creation to now: one row per span in which its due date
-- (due_on) and due time (due_at) stayed the same, from the due date stories of int_asana__task_story_events (the
-- last story at an instant wins). Before its first such story the task had the due date that story changed
-- (its old values); the current span holds the current due date (a task without such stories has it for its
-- whole life; a last story that disagrees with the task row gives way to it). due_date = due_on, else the
-- UTC date of due_at, as in int_asana__task.
-- grain: task_gid, valid_from
-- references: task_gid -> int_asana__task.task_gid
-- expect_zero: spans_change_the_due_date: select task_gid from (select task_gid, valid_from, valid_to,
--         due_on, due_at, row_number() over (partition by task_gid order by valid_from) as span_number,
--         lag(due_on) over (partition by task_gid order by valid_from) as due_on_before,
--         lag(due_at) over (partition by task_gid order by valid_from) as due_at_before
--         from int_asana__task_due_date_span) as spans
--     where valid_to <= valid_from or (span_number > 1 and due_on_before is not distinct from due_on
--         and due_at_before is not distinct from due_at)
-- expect_zero: current_span_agrees_with_task: select tasks.task_gid from int_asana__task as tasks
--     left join int_asana__task_due_date_span as spans
--     on tasks.task_gid = spans.task_gid and spans.valid_to is null
--     where spans.task_gid is null or spans.due_on is distinct from tasks.due_on
--     or spans.due_at is distinct from tasks.due_at
with tasks as (
    select * from int_asana__task
),

stories as (
    select task_gid, story_gid, changed_at, old_due_on, new_due_on, old_due_at, new_due_at
    from int_asana__task_story_events
    where change_kind = 'due_date'
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
        case when firsts.task_gid is null then tasks.due_on else firsts.old_due_on end as due_on,
        case when firsts.task_gid is null then tasks.due_at else firsts.old_due_at end as due_at
    from tasks
    left join numbered as firsts
        on tasks.task_gid = firsts.task_gid
        and firsts.story_number = 1
    where firsts.task_gid is null or firsts.changed_at > tasks.created_at
    union all
    select task_gid, changed_at as valid_from, new_due_on as due_on, new_due_at as due_at
    from numbered
    where last_at_instant = 1
),

with_current as (
    select
        spans.task_gid,
        spans.valid_from,
        case
            when lead(spans.valid_from) over (partition by spans.task_gid order by spans.valid_from) is null
                then tasks.due_on
            else spans.due_on
        end as due_on,
        case
            when lead(spans.valid_from) over (partition by spans.task_gid order by spans.valid_from) is null
                then tasks.due_at
            else spans.due_at
        end as due_at
    from spans
    inner join tasks
        on spans.task_gid = tasks.task_gid
),

changes as (
    select
        with_current.*,
        lag(due_on) over (partition by task_gid order by valid_from) as due_on_before,
        lag(due_at) over (partition by task_gid order by valid_from) as due_at_before,
        row_number() over (partition by task_gid order by valid_from) as span_number
    from with_current
)

select
    task_gid,
    valid_from,
    lead(valid_from) over (partition by task_gid order by valid_from) as valid_to,
    lead(valid_from) over (partition by task_gid order by valid_from) is null as is_current,
    due_on,
    due_at,
    coalesce(due_on, cast(due_at as date)) as due_date
from changes
where span_number = 1 or due_on_before is distinct from due_on or due_at_before is distinct from due_at
