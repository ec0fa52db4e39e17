-- Time tracked per project: hours entered in Asana's time tracking, all time. allocated_minutes splits an
-- entry over the projects it is credited to, so the projects' hours add up to the hours tracked.
select
    project_gid,
    coalesce(project_name, '(no project)') as project,
    sum(allocated_minutes) as minutes,
    round(cast(sum(allocated_minutes) / 60.0 as decimal(18, 6)), 1) as hours,
    count(distinct user_gid) as people,
    count(distinct task_gid) as tasks
from asana_analytics.asana__time_tracking
group by project_gid, project_name
order by minutes desc, project;
