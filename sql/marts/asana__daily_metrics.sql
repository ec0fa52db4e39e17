-- One row per workspace, UTC day (from the workspace's first task to today) and kind of task: top-level tasks
-- (is_subtask false) and subtasks (is_subtask true) are counted on separate rows, both always present, so
-- "where not is_subtask" gives top-level figures and a sum over both rows all tasks (asana__daily_metrics_overall
-- sums them per day). Counted from events, so that reopening a task never rewrites a past day:
-- number_of_tasks_completed counts the completions that day and number_of_tasks_reopened the reopenings
-- (int_asana__task_completion_span: a task completed, reopened and completed again counts as completed on both
-- days); number_of_tasks_open (and _open_assigned) counts the tasks open (and assigned) at the end of the day,
-- from the spans of asana__task_state_history, so a task reopened for a week is open on each of those days. A
-- task created and completed the same day is created 1, completed 1, open 0; a task complete since creation
-- (no completion story, no completed_at) is never open and never completed. avg_days_open: average whole days
-- since creation of the tasks open at the end of the day. Computed from running sums. Today's rows are partial
-- (is_partial_period): the day is not over, and the counts are as of the build.
-- grain: workspace_gid, date_day, is_subtask
-- expect_zero: counts_in_range: select workspace_gid from asana__daily_metrics
--     where number_of_tasks_open < 0 or number_of_tasks_open_assigned < 0
--     or number_of_tasks_open_assigned > number_of_tasks_open or number_of_tasks_reopened < 0
--     or number_of_tasks_created < 0 or number_of_tasks_completed < 0 or avg_days_open < 0
-- expect_zero: one_partial_day_today: select workspace_gid from asana__daily_metrics
--     group by workspace_gid, is_subtask
--     having count(*) filter (where is_partial_period) <> 1
--     or max(date_day) <> max(date_day) filter (where is_partial_period)
-- expect_zero: totals_reconcile_with_tasks: select workspace_gid from (
--         select workspace_gid, is_subtask, sum(number_of_tasks_created) as created,
--             sum(number_of_tasks_open) filter (where is_partial_period) as open_now
--         from asana__daily_metrics group by workspace_gid, is_subtask) as daily
--     full outer join (
--         select workspace_gid, is_subtask, count(*) as created,
--             count(*) filter (where not is_completed) as open_now
--         from asana__task group by workspace_gid, is_subtask) as tasks
--     using (workspace_gid, is_subtask)
--     where daily.created is distinct from coalesce(tasks.created, 0)
--     or daily.open_now is distinct from coalesce(tasks.open_now, 0)
-- expect_zero: days_reconcile_with_events: select daily.workspace_gid from asana__daily_metrics as daily
--     left join (select task.workspace_gid, task.is_subtask, cast(span.valid_from as date) as date_day,
--         count(*) filter (where span.change_type = 'completed') as completed,
--         count(*) filter (where span.change_type = 'reopened') as reopened
--         from int_asana__task_completion_span as span
--         inner join asana__task as task on span.task_gid = task.task_gid
--         group by task.workspace_gid, task.is_subtask, cast(span.valid_from as date)) as events
--     on daily.workspace_gid = events.workspace_gid and daily.is_subtask = events.is_subtask
--     and daily.date_day = events.date_day
--     where daily.number_of_tasks_completed <> coalesce(events.completed, 0)
--     or daily.number_of_tasks_reopened <> coalesce(events.reopened, 0)
-- expect_zero: open_follows_the_events: select daily.workspace_gid from (
--         select workspace_gid, is_subtask, date_day, number_of_tasks_created - number_of_tasks_completed
--             + number_of_tasks_reopened as event_change, number_of_tasks_open - coalesce(lag(number_of_tasks_open)
--             over (partition by workspace_gid, is_subtask order by date_day), 0) as open_change
--         from asana__daily_metrics) as daily
--     left join (select task.workspace_gid, task.is_subtask, cast(span.valid_from as date) as date_day,
--         count(*) as created_closed
--         from int_asana__task_completion_span as span
--         inner join asana__task as task on span.task_gid = task.task_gid
--         where span.change_type = 'created' and span.is_completed
--         group by task.workspace_gid, task.is_subtask, cast(span.valid_from as date)) as closed
--     on daily.workspace_gid = closed.workspace_gid and daily.is_subtask = closed.is_subtask
--     and daily.date_day = closed.date_day
--     where daily.open_change <> daily.event_change - coalesce(closed.created_closed, 0)
with tasks as (
    select * from int_asana__task
),

spine as (
    select * from int_asana__date_spine
),

completion as (
    select * from int_asana__task_completion_span
),

states as (
    select * from asana__task_state_history
),

task_days as (
    select
        workspace_gid,
        is_subtask,
        created_date,
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
        count(*) as tasks_created
    from task_days
    group by workspace_gid, is_subtask, created_date
),

events as (
    -- completions and reopenings on the day they happened
    select
        task_days.workspace_gid,
        task_days.is_subtask,
        cast(completion.valid_from as date) as date_day,
        count(*) filter (where completion.change_type = 'completed') as tasks_completed,
        count(*) filter (where completion.change_type = 'reopened') as tasks_reopened
    from completion
    inner join task_days
        on completion.task_gid = task_days.task_gid
    where completion.change_type <> 'created'
    group by task_days.workspace_gid, task_days.is_subtask, cast(completion.valid_from as date)
),

open_ranges as (
    -- the UTC days at whose end a state span was open: from_date <= d < to_date (to_date null: until today)
    select
        states.task_gid,
        cast(states.valid_from as date) as from_date,
        cast(states.valid_to as date) as to_date,
        states.assignee_user_gid is not null as is_assigned
    from states
    where not states.is_completed
),

open_deltas as (
    select
        task_days.workspace_gid,
        task_days.is_subtask,
        open_ranges.from_date as date_day,
        1 as open_delta,
        case when open_ranges.is_assigned then 1 else 0 end as assigned_delta,
        task_days.created_day_number as day_sum_delta,
        case when open_ranges.is_assigned then task_days.created_day_number else 0 end as assigned_day_sum_delta
    from open_ranges
    inner join task_days
        on open_ranges.task_gid = task_days.task_gid
    where open_ranges.to_date is null or open_ranges.from_date < open_ranges.to_date
    union all
    select
        task_days.workspace_gid,
        task_days.is_subtask,
        open_ranges.to_date as date_day,
        -1 as open_delta,
        case when open_ranges.is_assigned then -1 else 0 end as assigned_delta,
        -task_days.created_day_number as day_sum_delta,
        case when open_ranges.is_assigned then -task_days.created_day_number else 0 end as assigned_day_sum_delta
    from open_ranges
    inner join task_days
        on open_ranges.task_gid = task_days.task_gid
    where open_ranges.from_date < open_ranges.to_date
),

open_changes as (
    select
        workspace_gid,
        is_subtask,
        date_day,
        sum(open_delta) as open_delta,
        sum(assigned_delta) as assigned_delta,
        sum(day_sum_delta) as day_sum_delta,
        sum(assigned_day_sum_delta) as assigned_day_sum_delta
    from open_deltas
    group by workspace_gid, is_subtask, date_day
),

daily as (
    select
        workspaces.workspace_gid,
        task_kinds.is_subtask,
        spine.date_day,
        date_diff('day', cast('1970-01-01' as date), spine.date_day) as day_number,
        coalesce(created.tasks_created, 0) as tasks_created,
        coalesce(events.tasks_completed, 0) as tasks_completed,
        coalesce(events.tasks_reopened, 0) as tasks_reopened,
        coalesce(open_changes.open_delta, 0) as open_delta,
        coalesce(open_changes.assigned_delta, 0) as assigned_open_delta,
        coalesce(open_changes.day_sum_delta, 0) as day_sum_delta,
        coalesce(open_changes.assigned_day_sum_delta, 0) as assigned_day_sum_delta
    from workspaces
    cross join task_kinds
    inner join spine
        on spine.date_day >= workspaces.first_day
    left join created
        on workspaces.workspace_gid = created.workspace_gid and task_kinds.is_subtask = created.is_subtask
        and spine.date_day = created.date_day
    left join events
        on workspaces.workspace_gid = events.workspace_gid and task_kinds.is_subtask = events.is_subtask
        and spine.date_day = events.date_day
    left join open_changes
        on workspaces.workspace_gid = open_changes.workspace_gid and task_kinds.is_subtask = open_changes.is_subtask
        and spine.date_day = open_changes.date_day
),

running as (
    select
        workspace_gid,
        is_subtask,
        date_day,
        day_number,
        tasks_created,
        tasks_completed,
        tasks_reopened,
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
    cast(tasks_reopened as bigint) as number_of_tasks_reopened,
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
