-- Spans of a (non-deleted) task's completion state, from its creation to now: one row per span in which it
-- stayed open or complete, with what began it (change_type 'created', 'completed' or 'reopened'): each span
-- after the first is a completion event or a reopening, and the metrics count those. From the completion
-- stories of int_asana__task_story_events (source 'story'); a story that repeats the state, or that a later
-- story at the same instant overrides, begins nothing. Before its first completion story a task was in the
-- state that story left (a task whose first story is a completion was open). Where no story tells it, the
-- current fields do: a task complete now without completion stories was completed at completed_at (source
-- 'completed_at'; complete since creation, and never counted as completed, when completed_at is missing, as
-- a task created complete); a task complete now whose last story is a reopening was completed again at
-- completed_at (its last story's time if that is later); a task open now whose last story is a completion was
-- reopened at modified_at (source 'modified_at'). So the current span always agrees with int_asana__task.
-- grain: task_gid, valid_from
-- references: task_gid -> int_asana__task.task_gid
-- expect_zero: spans_alternate: select task_gid from (select task_gid, valid_from, valid_to, is_completed,
--         change_type, lag(is_completed) over (partition by task_gid order by valid_from) as before
--         from int_asana__task_completion_span) as spans
--     where before = is_completed or valid_to <= valid_from
--     or (change_type = 'created' and before is not null)
--     or (change_type <> 'created' and (change_type = 'completed') <> is_completed)
-- expect_zero: current_span_agrees_with_task: select tasks.task_gid from int_asana__task as tasks
--     left join int_asana__task_completion_span as spans
--     on tasks.task_gid = spans.task_gid and spans.valid_to is null
--     where spans.is_completed is distinct from tasks.is_completed
-- expect_zero: story_spans_match_their_story: select spans.task_gid
--     from int_asana__task_completion_span as spans
--     left join stg_asana__story as stories on spans.story_gid = stories.story_gid
--     where (spans.source = 'story') <> (stories.story_gid is not null)
--     or stories.created_at <> spans.valid_from or stories.task_gid <> spans.task_gid
--     or (stories.story_subtype = 'marked_complete') <> spans.is_completed
with tasks as (
    select * from int_asana__task
),

stories as (
    select
        task_gid,
        story_gid,
        changed_at,
        story_subtype = 'marked_complete' as is_completed
    from int_asana__task_story_events
    where change_kind = 'completion'
        and changed_at is not null
),

last_stories as (
    select task_gid, changed_at, is_completed
    from (
        select
            stories.*,
            row_number() over (partition by task_gid order by changed_at desc, story_gid desc) as recency
        from stories
    ) as ranked
    where recency = 1
),

fallbacks as (
    -- what the current fields say and no story recorded
    select
        tasks.task_gid,
        cast(null as varchar) as story_gid,
        case
            when last_stories.changed_at > coalesce(tasks.completed_at, tasks.modified_at)
                then last_stories.changed_at
            else coalesce(tasks.completed_at, tasks.modified_at, last_stories.changed_at)
        end as changed_at,
        tasks.is_completed,
        case when tasks.is_completed and tasks.completed_at is not null then 'completed_at' else 'modified_at' end
            as source
    from tasks
    left join last_stories
        on tasks.task_gid = last_stories.task_gid
    where (tasks.is_completed and last_stories.task_gid is null and tasks.completed_at is not null)
        or (tasks.is_completed and not last_stories.is_completed)
        or (not tasks.is_completed and last_stories.is_completed)
),

events as (
    select task_gid, story_gid, changed_at, is_completed, 'story' as source from stories
    union all
    select task_gid, story_gid, changed_at, is_completed, source from fallbacks
),

instants as (
    -- the state after an instant is its last change: a fallback (it follows the stories), else the last story
    select
        events.*,
        row_number() over (
            partition by task_gid, changed_at
            order by case when story_gid is null then 0 else 1 end, length(story_gid) desc, story_gid desc
        ) as last_at_instant
    from events
),

changes as (
    select
        task_gid,
        story_gid,
        changed_at,
        is_completed,
        source,
        lag(is_completed) over (partition by task_gid order by changed_at) as before,
        row_number() over (partition by task_gid order by changed_at) as change_number
    from instants
    where last_at_instant = 1
),

transitions as (
    select * from changes
    where before is null or before <> is_completed
),

spans as (
    -- from creation to the first change (the whole life without one), in the state the first change ended
    select
        tasks.task_gid,
        tasks.created_at as valid_from,
        coalesce(not firsts.is_completed, tasks.is_completed) as is_completed,
        'created' as change_type,
        cast(null as varchar) as story_gid,
        'created' as source
    from tasks
    left join transitions as firsts
        on tasks.task_gid = firsts.task_gid
        and firsts.change_number = 1
    where firsts.task_gid is null or firsts.changed_at > tasks.created_at
    union all
    select
        task_gid,
        changed_at as valid_from,
        is_completed,
        case when is_completed then 'completed' else 'reopened' end as change_type,
        story_gid,
        source
    from transitions
)

select
    task_gid,
    valid_from,
    lead(valid_from) over (partition by task_gid order by valid_from) as valid_to,
    lead(valid_from) over (partition by task_gid order by valid_from) is null as is_current,
    is_completed,
    change_type,
    story_gid,
    source
from spans
