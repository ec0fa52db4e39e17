-- Overdue tasks by project: open tasks past their due time (due_at when the task has one, else due_on
-- against today's UTC date), and the share of the project's open work that is late.
select
    project_gid,
    project_name,
    team_name,
    number_of_overdue_tasks as overdue_tasks,
    number_of_open_tasks as open_tasks,
    round(100.0 * number_of_overdue_tasks / number_of_open_tasks, 1) as percent_overdue
from asana_analytics.asana__project
where number_of_overdue_tasks > 0
order by overdue_tasks desc, project_name;
