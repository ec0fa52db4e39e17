-- One row per workspace, ISO week (Monday start, UTC, from the first task's week to this week) and kind of task
-- (is_subtask: top-level tasks and subtasks on separate rows, both always present): tasks created, completions
-- and reopenings that week (events, as in asana__daily_metrics: a task completed, reopened and completed again
-- counts as completed in both weeks), net new tasks (created - completed + reopened: the change in open tasks,
-- but for tasks created complete) and the lead time (created -> completed, days) of the tasks whose final
-- completion (completed_at, the last one) fell that week: number_of_final_completions of them, average, median,
-- p90. A task reopened and not completed again has no lead time. This week's rows are partial
-- (is_partial_period): the week is not over.
-- grain: workspace_gid, week_start, is_subtask
-- expect_zero: lead_times_ordered: select workspace_gid from asana__throughput_weekly
--     where avg_lead_time_days < 0 or median_lead_time_days < 0 or p90_lead_time_days < median_lead_time_days
--     or (number_of_final_completions = 0) <> (avg_lead_time_days is null)
-- expect_zero: weeks_reconcile_with_days: select weekly.workspace_gid from asana__throughput_weekly as weekly
--     full outer join (
--         select workspace_gid, is_subtask, cast(date_trunc('week', date_day) as date) as week_start,
--             sum(number_of_tasks_created) as created, sum(number_of_tasks_completed) as completed,
--             sum(number_of_tasks_reopened) as reopened, bool_or(is_partial_period) as is_partial_period
--         from asana__daily_metrics group by workspace_gid, is_subtask, cast(date_trunc('week', date_day) as date)
--     ) as daily
--     on weekly.workspace_gid = daily.workspace_gid and weekly.is_subtask = daily.is_subtask
--     and weekly.week_start = daily.week_start
--     where weekly.number_of_tasks_created is distinct from daily.created
--     or weekly.number_of_tasks_completed is distinct from daily.completed
--     or weekly.number_of_tasks_reopened is distinct from daily.reopened
--     or weekly.is_partial_period is distinct from daily.is_partial_period
-- expect_zero: final_completions_reconcile_with_tasks: select weekly.workspace_gid
--     from asana__throughput_weekly as weekly
--     full outer join (select workspace_gid, is_subtask,
--         cast(date_trunc('week', cast(completed_at as date)) as date) as week_start, count(*) as completed
--         from asana__task where is_completed and completed_at is not null
--         group by workspace_gid, is_subtask, cast(date_trunc('week', cast(completed_at as date)) as date)) as tasks
--     on weekly.workspace_gid = tasks.workspace_gid and weekly.is_subtask = tasks.is_subtask
--     and weekly.week_start = tasks.week_start
--     where coalesce(weekly.number_of_final_completions, 0) <> coalesce(tasks.completed, 0)
with tasks as (
    select * from int_asana__task
),

spine as (
    select * from int_asana__date_spine
),

completion as (
    select * from int_asana__task_completion_span
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

events as (
    -- completions and reopenings in the week they happened
    select
        tasks.workspace_gid,
        tasks.is_subtask,
        cast(date_trunc('week', cast(completion.valid_from as date)) as date) as week_start,
        count(*) filter (where completion.change_type = 'completed') as tasks_completed,
        count(*) filter (where completion.change_type = 'reopened') as tasks_reopened
    from completion
    inner join tasks
        on completion.task_gid = tasks.task_gid
    where completion.change_type <> 'created'
    group by
        tasks.workspace_gid,
        tasks.is_subtask,
        cast(date_trunc('week', cast(completion.valid_from as date)) as date)
),

lead_times as (
    -- the final completion: completed_at of the tasks complete now
    select
        workspace_gid,
        is_subtask,
        cast(date_trunc('week', completed_date) as date) as week_start,
        count(*) as final_completions,
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
    cast(coalesce(events.tasks_completed, 0) as bigint) as number_of_tasks_completed,
    cast(coalesce(events.tasks_reopened, 0) as bigint) as number_of_tasks_reopened,
    cast(coalesce(created.tasks_created, 0) - coalesce(events.tasks_completed, 0) + coalesce(events.tasks_reopened, 0)
        as bigint) as net_new_tasks,
    cast(coalesce(lead_times.final_completions, 0) as bigint) as number_of_final_completions,
    lead_times.avg_lead_time_days,
    lead_times.median_lead_time_days,
    lead_times.p90_lead_time_days
from workspaces
cross join task_kinds
inner join weeks
    on weeks.week_start >= workspaces.first_week
cross join this_week
left join created
    on workspaces.workspace_gid = created.workspace_gid and task_kinds.is_subtask = created.is_subtask
    and weeks.week_start = created.week_start
left join events
    on workspaces.workspace_gid = events.workspace_gid and task_kinds.is_subtask = events.is_subtask
    and weeks.week_start = events.week_start
left join lead_times
    on workspaces.workspace_gid = lead_times.workspace_gid and task_kinds.is_subtask = lead_times.is_subtask
    and weeks.week_start = lead_times.week_start
