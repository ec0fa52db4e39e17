-- Open tasks per assignee as of a moment in the past: each task in the state it was in then
-- (asana__task_state_history: completion, assignee and due date as the stories tell them), not as it is today.
-- Edit the moment in as_of (UTC; here midnight 30 days ago). A task created later does not count; one completed
-- since, or reopened since, counts as it was.
with as_of as (
    select cast(cast(now() at time zone 'UTC' as date) - 30 as timestamp) as at
)

select
    states.assignee_user_gid,
    coalesce(states.assignee_name, '(unassigned)') as assignee,
    count(*) as open_tasks,
    sum(case when states.due_date < cast(as_of.at as date) then 1 else 0 end) as overdue_tasks
from asana_analytics.asana__task_state_history as states
cross join as_of
where states.valid_from <= as_of.at
    and (states.valid_to is null or as_of.at < states.valid_to)
    and not states.is_completed
group by states.assignee_user_gid, states.assignee_name
order by open_tasks desc, assignee;
