-- One row per workspace, UTC day (from the workspace's first task to today) and kind of task: top-level tasks
-- (is_subtask false) and subtasks (is_subtask true) are counted on separate rows, both always present, so
-- "where not is_subtask" gives top-level figures and a sum over both rows all tasks. Counts at end of day:
-- a task is open on day d if created on/before d and not completed on/before d (a task created and completed
-- the same day is created 1, completed 1, open 0). Assigned = assigned at the end of that day according to the
-- assignee history (int_asana__task_open_assigned_interval). Computed from running sums.
-- Tasks marked complete without completed_at are never open and never counted as completed.
-- Today's rows are partial (is_partial_period): the day is not over, and the counts are as of the build.
-- grain: workspace_gid, date_day, is_subtask
-- expect_zero: counts_in_range: select workspace_gid from asana__daily_metrics
--     where number_of_tasks_open < 0 or number_of_tasks_open_assigned < 0
--     or number_of_tasks_open_assigned > number_of_tasks_open
--     or number_of_tasks_created < 0 or number_of_tasks_completed < 0 or avg_days_open < 0
-- expect_zero: one_partial_day_today: select workspace_gid from asana__daily_metrics
--     group by workspace_gid, is_subtask
--     having count(*) filter (where is_partial_period) <> 1
--     or max(date_day) <> max(date_day) filter (where is_partial_period)
-- expect_zero: totals_reconcile_with_tasks: select workspace_gid from (
--         select workspace_gid, is_subtask, sum(number_of_tasks_created) as created,
--             sum(number_of_tasks_completed) as completed,
--             sum(number_of_tasks_open) filter (where is_partial_period) as open_now
--         from asana__daily_metrics group by workspace_gid, is_subtask) as daily
--     full outer join (
--         select workspace_gid, is_subtask, count(*) as created,
--             count(*) filter (where is_completed and completed_at is not null) as completed,
--             count(*) filter (where not is_completed) as open_now
--         from asana__task group by workspace_gid, is_subtask) as tasks
--     using (workspace_gid, is_subtask)
--     where daily.created is distinct from coalesce(tasks.created, 0)
--     or daily.completed is distinct from coalesce(tasks.completed, 0)
--     or daily.open_now is distinct from coalesce(tasks.open_now, 0)
with tasks as (
    select * from int_asana__task
),

spine as (
    select * from int_asana__date_spine
),

assigned_intervals as (
    select * from int_asana__task_open_assigned_interval
),

task_days as (
    select
        workspace_gid,
        is_subtask,
        created_date,
        coalesce(completed_date, case when is_completed then created_date end) as closed_date,
        completed_date,
        task_gid,
        date_diff('day', cast('1970-01-01' as date), created_date) as created_day_number
    from tasks
),

workspaces as (
    select workspace_gid, min(created_date) as first_day
    from task_days
    group by workspace_gid
),

task_kinds as (
    -- both kinds on every day, so that each kind's series is complete
    select false as is_subtask
    union all
    select true as is_subtask
),

created as (
    select
        workspace_gid,
        is_subtask,
        created_date as date_day,
        count(*) as tasks_created,
        sum(created_day_number) as created_day_sum
    from task_days
    group by workspace_gid, is_subtask, created_date
),

closed as (
    select
        workspace_gid,
        is_subtask,
        closed_date as date_day,
        count(*) filter (where completed_date is not null) as tasks_completed,
        count(*) as tasks_closed,
        sum(created_day_number) as closed_day_sum
    from task_days
    where closed_date is not null
    group by workspace_gid, is_subtask, closed_date
),

assigned_starts as (
    select
        task_days.workspace_gid,
        task_days.is_subtask,
        assigned_intervals.from_date as date_day,
        count(*) as assigned_started,
        sum(task_days.created_day_number) as assigned_started_day_sum
    from assigned_intervals
    inner join task_days
        on assigned_intervals.task_gid = task_days.task_gid
    group by task_days.workspace_gid, task_days.is_subtask, assigned_intervals.from_date
),

assigned_ends as (
    select
        task_days.workspace_gid,
        task_days.is_subtask,
        assigned_intervals.to_date as date_day,
        count(*) as assigned_ended,
        sum(task_days.created_day_number) as assigned_ended_day_sum
    from assigned_intervals
    inner join task_days
        on assigned_intervals.task_gid = task_days.task_gid
    where assigned_intervals.to_date is not null
    group by task_days.workspace_gid, task_days.is_subtask, assigned_intervals.to_date
),

daily as (
    select
        workspaces.workspace_gid,
        task_kinds.is_subtask,
        spine.date_day,
        date_diff('day', cast('1970-01-01' as date), spine.date_day) as day_number,
        coalesce(created.tasks_created, 0) as tasks_created,
        coalesce(closed.tasks_completed, 0) as tasks_completed,
        coalesce(created.tasks_created, 0) - coalesce(closed.tasks_closed, 0) as open_delta,
        coalesce(assigned_starts.assigned_started, 0) - coalesce(assigned_ends.assigned_ended, 0)
            as assigned_open_delta,
        coalesce(created.created_day_sum, 0) - coalesce(closed.closed_day_sum, 0) as day_sum_delta,
        coalesce(assigned_starts.assigned_started_day_sum, 0) - coalesce(assigned_ends.assigned_ended_day_sum, 0)
            as assigned_day_sum_delta
    from workspaces
    cross join task_kinds
    inner join spine
        on spine.date_day >= workspaces.first_day
    left join created
        on workspaces.workspace_gid = created.workspace_gid and task_kinds.is_subtask = created.is_subtask
        and spine.date_day = created.date_day
    left join closed
        on workspaces.workspace_gid = closed.workspace_gid and task_kinds.is_subtask = closed.is_subtask
        and spine.date_day = closed.date_day
    left join assigned_starts
        on workspaces.workspace_gid = assigned_starts.workspace_gid
        and task_kinds.is_subtask = assigned_starts.is_subtask and spine.date_day = assigned_starts.date_day
    left join assigned_ends
        on workspaces.workspace_gid = assigned_ends.workspace_gid
        and task_kinds.is_subtask = assigned_ends.is_subtask and spine.date_day = assigned_ends.date_day
),

running as (
    select
        workspace_gid,
        is_subtask,
        date_day,
        day_number,
        tasks_created,
        tasks_completed,
        sum(open_delta) over w as open_tasks,
        sum(assigned_open_delta) over w as open_assigned_tasks,
        sum(day_sum_delta) over w as open_day_sum,
        sum(assigned_day_sum_delta) over w as open_assigned_day_sum
    from daily
    window w as (
        partition by workspace_gid, is_subtask order by date_day rows between unbounded preceding and current row
    )
),

last_day as (
    select max(date_day) as today from spine
)

select
    running.workspace_gid,
    running.date_day,
    running.is_subtask,
    running.date_day = last_day.today as is_partial_period,
    cast(open_tasks as bigint) as number_of_tasks_open,
    cast(open_assigned_tasks as bigint) as number_of_tasks_open_assigned,
    cast(tasks_created as bigint) as number_of_tasks_created,
    cast(tasks_completed as bigint) as number_of_tasks_completed,
    case
        when open_tasks > 0 then cast(day_number * open_tasks - open_day_sum as double) / cast(open_tasks as double)
    end as avg_days_open,
    case
        when open_assigned_tasks > 0
            then cast(day_number * open_assigned_tasks - open_assigned_day_sum as double)
                / cast(open_assigned_tasks as double)
    end as avg_days_open_assigned
from running
cross join last_day
