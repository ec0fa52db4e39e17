-- One row per workspace and ISO week (Monday start, UTC) from the first task's week to this week:
-- tasks created, completed, net new (created - completed) and lead time (created -> completed, days)
-- of the tasks completed that week: average, median, p90.
-- grain: workspace_gid, week_start
with tasks as (
    select * from int_asana__task
),

spine as (
    select * from int_asana__date_spine
),

weeks as (
    select distinct cast(date_trunc('week', date_day) as date) as week_start
    from spine
),

workspaces as (
    select workspace_gid, cast(date_trunc('week', min(created_date)) as date) as first_week
    from tasks
    group by workspace_gid
),

created as (
    select
        workspace_gid,
        cast(date_trunc('week', created_date) as date) as week_start,
        count(*) as tasks_created
    from tasks
    group by workspace_gid, cast(date_trunc('week', created_date) as date)
),

completed as (
    select
        workspace_gid,
        cast(date_trunc('week', completed_date) as date) as week_start,
        count(*) as tasks_completed,
        cast(avg(days_to_complete) as double) as avg_lead_time_days,
        cast(percentile_cont(0.5) within group (order by days_to_complete) as double) as median_lead_time_days,
        cast(percentile_cont(0.9) within group (order by days_to_complete) as double) as p90_lead_time_days
    from tasks
    where completed_date is not null
    group by workspace_gid, cast(date_trunc('week', completed_date) as date)
)

select
    workspaces.workspace_gid,
    weeks.week_start,
    cast(coalesce(created.tasks_created, 0) as bigint) as number_of_tasks_created,
    cast(coalesce(completed.tasks_completed, 0) as bigint) as number_of_tasks_completed,
    cast(coalesce(created.tasks_created, 0) - coalesce(completed.tasks_completed, 0) as bigint) as net_new_tasks,
    completed.avg_lead_time_days,
    completed.median_lead_time_days,
    completed.p90_lead_time_days
from workspaces
inner join weeks
    on weeks.week_start >= workspaces.first_week
left join created
    on workspaces.workspace_gid = created.workspace_gid and weeks.week_start = created.week_start
left join completed
    on workspaces.workspace_gid = completed.workspace_gid and weeks.week_start = completed.week_start
