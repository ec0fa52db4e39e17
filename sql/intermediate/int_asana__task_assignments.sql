-- Assignment facts per task from the structured 'assigned' / 'unassigned' stories.
-- grain: task_gid
with stories as (
    select * from stg_asana__story
)

select
    task_gid,
    count(*) filter (where story_subtype = 'assigned') as number_of_assignments,
    count(*) filter (where story_subtype = 'unassigned') as number_of_unassignments,
    min(created_at) filter (where story_subtype = 'assigned') as first_assigned_at,
    max(created_at) filter (where story_subtype = 'assigned') as last_assigned_at
from stories
where story_subtype in ('assigned', 'unassigned')
group by task_gid
