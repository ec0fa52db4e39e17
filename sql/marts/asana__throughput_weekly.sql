-- One row per workspace, ISO week (Monday start, UTC, from the first task's week to this week) and kind of task
-- (is_subtask: top-level tasks and subtasks on separate rows, both always present): tasks created, completed,
-- net new (created - completed) and lead time (created -> completed, days) of the tasks completed that week:
-- average, median, p90. This week's rows are partial (is_partial_period): the week is not over.
-- grain: workspace_gid, week_start, is_subtask
-- expect_zero: lead_times_ordered: select workspace_gid from asana__throughput_weekly
--     where avg_lead_time_days < 0 or median_lead_time_days < 0 or p90_lead_time_days < median_lead_time_days
--     or (number_of_tasks_completed = 0) <> (avg_lead_time_days is null)
-- expect_zero: weeks_reconcile_with_days: select weekly.workspace_gid from asana__throughput_weekly as weekly
--     full outer join (
--         select workspace_gid, is_subtask, cast(date_trunc('week', date_day) as date) as week_start,
--             sum(number_of_tasks_created) as created, sum(number_of_tasks_completed) as completed,
--             bool_or(is_partial_period) as is_partial_period
--         from asana__daily_metrics group by workspace_gid, is_subtask, cast(date_trunc('week', date_day) as date)
--     ) as daily
--     on weekly.workspace_gid = daily.workspace_gid and weekly.is_subtask = daily.is_subtask
--     and weekly.week_start = daily.week_start
--     where weekly.number_of_tasks_created is distinct from daily.created
--     or weekly.number_of_tasks_completed is distinct from daily.completed
--     or weekly.is_partial_period is distinct from daily.is_partial_period
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

this_week as (
    select max(week_start) as week_start from weeks
),

workspaces as (
    select workspace_gid, cast(date_trunc('week', min(created_date)) as date) as first_week
    from tasks
    group by workspace_gid
),

task_kinds as (
    -- both kinds in every week, so that each kind's series is complete
    select false as is_subtask
    union all
    select true as is_subtask
),

created as (
    select
        workspace_gid,
        is_subtask,
        cast(date_trunc('week', created_date) as date) as week_start,
        count(*) as tasks_created
    from tasks
    group by workspace_gid, is_subtask, cast(date_trunc('week', created_date) as date)
),

completed as (
    select
        workspace_gid,
        is_subtask,
        cast(date_trunc('week', completed_date) as date) as week_start,
        count(*) as tasks_completed,
        cast(avg(days_to_complete) as double) as avg_lead_time_days,
        cast(percentile_cont(0.5) within group (order by days_to_complete) as double) as median_lead_time_days,
        cast(percentile_cont(0.9) within group (order by days_to_complete) as double) as p90_lead_time_days
    from tasks
    where completed_date is not null
    group by workspace_gid, is_subtask, cast(date_trunc('week', completed_date) as date)
)

select
    workspaces.workspace_gid,
    weeks.week_start,
    task_kinds.is_subtask,
    weeks.week_start = this_week.week_start as is_partial_period,
    cast(coalesce(created.tasks_created, 0) as bigint) as number_of_tasks_created,
    cast(coalesce(completed.tasks_completed, 0) as bigint) as number_of_tasks_completed,
    cast(coalesce(created.tasks_created, 0) - coalesce(completed.tasks_completed, 0) as bigint) as net_new_tasks,
    completed.avg_lead_time_days,
    completed.median_lead_time_days,
    completed.p90_lead_time_days
from workspaces
cross join task_kinds
inner join weeks
    on weeks.week_start >= workspaces.first_week
cross join this_week
left join created
    on workspaces.workspace_gid = created.workspace_gid and task_kinds.is_subtask = created.is_subtask
    and weeks.week_start = created.week_start
left join completed
    on workspaces.workspace_gid = completed.workspace_gid and task_kinds.is_subtask = completed.is_subtask
    and weeks.week_start = completed.week_start
