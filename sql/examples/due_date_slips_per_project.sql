-- Due-date slips per project in a quarter (here the last complete calendar quarter, UTC): how often a task's due
-- date moved later, on how many tasks and by how many days in all, for the changes made in the quarter. From the
-- spans of asana__task_state_history; a slip counts for each project the task was in when it slipped
-- (asana__task_section_state_history at that moment).
with quarter as (
    select
        cast(date_trunc('quarter', now() at time zone 'UTC') - interval '3 months' as timestamp) as starts,
        cast(date_trunc('quarter', now() at time zone 'UTC') as timestamp) as ends
),

changes as (
    select
        task_gid,
        valid_from as changed_at,
        due_date,
        lag(due_date) over (partition by task_gid order by valid_from) as previous_due_date
    from asana_analytics.asana__task_state_history
),

slips as (
    select changes.*
    from changes
    cross join quarter
    where changes.changed_at >= quarter.starts
        and changes.changed_at < quarter.ends
        and changes.due_date > changes.previous_due_date
)

select
    sections.project_gid,
    coalesce(sections.project_name, sections.project_gid) as project,
    count(*) as slips,
    count(distinct slips.task_gid) as tasks,
    sum(slips.due_date - slips.previous_due_date) as days_slipped
from slips
inner join asana_analytics.asana__task_section_state_history as sections
    on slips.task_gid = sections.task_gid
    and sections.valid_from <= slips.changed_at
    and (sections.valid_to is null or slips.changed_at < sections.valid_to)
group by sections.project_gid, sections.project_name
order by days_slipped desc, project;
