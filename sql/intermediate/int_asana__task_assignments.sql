-- Assignment facts per (non-deleted) task from the structured 'assigned' / 'unassigned' stories.
-- grain: task_gid
-- references: task_gid -> int_asana__task.task_gid
with stories as (
    select * from stg_asana__story
),

tasks as (
    -- deleted tasks (and their stories, tags, ...) are left out
    select * from int_asana__task
)

select
    stories.task_gid,
    count(*) filter (where stories.story_subtype = 'assigned') as number_of_assignments,
    count(*) filter (where stories.story_subtype = 'unassigned') as number_of_unassignments,
    min(stories.created_at) filter (where stories.story_subtype = 'assigned') as first_assigned_at,
    max(stories.created_at) filter (where stories.story_subtype = 'assigned') as last_assigned_at
from stories
inner join tasks
    on stories.task_gid = tasks.task_gid
where stories.story_subtype in ('assigned', 'unassigned')
group by stories.task_gid
