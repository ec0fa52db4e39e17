-- UTC day ranges during which a (non-deleted) task was open and assigned, from its assignee history
-- (assigned / unassigned stories): the task counts on day d when from_date <= d < to_date (to_date null: still
-- open and assigned). The state at the end of a day is that of the day's last (un)assignment story. Before its
-- first such story a task counts as unassigned if that story is 'assigned', else as assigned (a task created
-- with an assignee and then reassigned is missed until the reassignment); a task without such stories uses its
-- current assignee for its whole life. Open: created on/before d and not completed on/before d (a task marked
-- complete without completed_at is never open), as in asana__daily_metrics.
-- grain: task_gid, from_date
with tasks as (
    select * from int_asana__task
),

stories as (
    select * from stg_asana__story
    where story_subtype in ('assigned', 'unassigned')
),

events as (
    select
        stories.task_gid,
        cast(stories.created_at as date) as event_date,
        stories.story_subtype = 'assigned' as is_assigned,
        row_number() over (
            partition by stories.task_gid, cast(stories.created_at as date)
            order by stories.created_at desc, length(stories.story_gid) desc, stories.story_gid desc
        ) as last_of_day,
        row_number() over (
            partition by stories.task_gid
            order by stories.created_at, length(stories.story_gid), stories.story_gid
        ) as event_number
    from stories
    inner join tasks
        on stories.task_gid = tasks.task_gid
    where stories.created_at is not null
),

day_states as (
    select task_gid, event_date, is_assigned
    from events
    where last_of_day = 1
),

first_events as (
    select task_gid, event_date, is_assigned
    from events
    where event_number = 1
),

segments as (
    -- before the first (un)assignment story (the whole life when there is none)
    select
        tasks.task_gid,
        tasks.created_date as from_date,
        first_events.event_date as to_date,
        coalesce(not first_events.is_assigned, tasks.is_currently_assigned) as is_assigned
    from tasks
    left join first_events
        on tasks.task_gid = first_events.task_gid
    union all
    -- from each day with a story to the next such day
    select
        task_gid,
        event_date as from_date,
        lead(event_date) over (partition by task_gid order by event_date) as to_date,
        is_assigned
    from day_states
),

open_ranges as (
    select
        task_gid,
        created_date,
        coalesce(completed_date, case when is_completed then created_date end) as closed_date
    from tasks
    where created_date is not null
),

clipped as (
    select
        segments.task_gid,
        case
            when segments.from_date > open_ranges.created_date then segments.from_date
            else open_ranges.created_date
        end as from_date,
        case
            when open_ranges.closed_date is null then segments.to_date
            when segments.to_date is null or segments.to_date > open_ranges.closed_date then open_ranges.closed_date
            else segments.to_date
        end as to_date
    from segments
    inner join open_ranges
        on segments.task_gid = open_ranges.task_gid
    where segments.is_assigned and segments.from_date is not null
)

select
    task_gid,
    from_date,
    to_date
from clipped
where to_date is null or from_date < to_date
