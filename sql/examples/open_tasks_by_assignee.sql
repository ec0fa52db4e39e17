-- Open tasks by assignee: how many, how many overdue, how many due in the next 7 days (UTC) and how long
-- the oldest has been open. Subtasks count like any task (add "and not is_subtask" for top-level work).
select
    assignee_user_gid,
    coalesce(assignee_name, '(unassigned)') as assignee,
    count(*) as open_tasks,
    sum(case when is_overdue then 1 else 0 end) as overdue_tasks,
    sum(case
        when due_date >= cast(now() at time zone 'UTC' as date)
            and due_date < cast(now() at time zone 'UTC' as date) + 7 then 1
        else 0
    end) as due_next_7_days,
    max(days_open) as oldest_days_open
from asana_analytics.asana__task
where not is_completed
group by assignee_user_gid, assignee_name
order by open_tasks desc, assignee;
