-- Weekly throughput: tasks created and completed per ISO week (Monday, UTC) over all workspaces, top-level
-- tasks and subtasks together, for the last 12 complete weeks (this week's partial row left out).
select
    week_start,
    sum(number_of_tasks_created) as tasks_created,
    sum(number_of_tasks_completed) as tasks_completed,
    sum(net_new_tasks) as net_new_tasks
from asana_analytics.asana__throughput_weekly
where not is_partial_period
group by week_start
order by week_start desc
limit 12;
