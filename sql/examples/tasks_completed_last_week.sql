-- Tasks completed last week: the previous ISO week, Monday 00:00 to Sunday 24:00 UTC, newest first.
select
    task_gid,
    task_name,
    assignee_name,
    projects,
    completed_at,
    round(cast(days_to_complete as decimal(18, 6)), 1) as days_to_complete
from asana_analytics.asana__task
where is_completed
    and completed_at >= date_trunc('week', now() at time zone 'UTC') - interval '7 days'
    and completed_at < date_trunc('week', now() at time zone 'UTC')
order by completed_at desc, task_gid;
