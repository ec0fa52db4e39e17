-- Open overdue tasks per workspace and kind of task (is_subtask: top-level tasks and subtasks on separate rows),
-- bucketed by days late (int_asana__task.days_overdue: whole days since due_on, or whole 24-hour periods since
-- due_at for tasks with a due time). Bucket '000 days' holds tasks whose due time passed less than a day ago
-- (a task with only a due date is at least one day late). Every bucket is present for both kinds.
-- grain: workspace_gid, is_subtask, aging_bucket
-- expect_zero: buckets_reconcile_with_tasks: select aging.workspace_gid from (
--         select workspace_gid, is_subtask, sum(number_of_overdue_tasks) as overdue,
--             sum(number_of_assigned_overdue_tasks) as assigned_overdue
--         from asana__overdue_aging group by workspace_gid, is_subtask) as aging
--     full outer join (
--         select workspace_gid, is_subtask, count(*) as overdue,
--             count(*) filter (where assignee_user_gid is not null) as assigned_overdue
--         from asana__task where is_overdue group by workspace_gid, is_subtask) as tasks
--     on aging.workspace_gid = tasks.workspace_gid and aging.is_subtask = tasks.is_subtask
--     where aging.overdue is distinct from coalesce(tasks.overdue, 0)
--     or aging.assigned_overdue is distinct from coalesce(tasks.assigned_overdue, 0)
-- expect_zero: days_within_bucket: select workspace_gid from asana__overdue_aging
--     where avg_days_overdue < min_days_late or avg_days_overdue > max_days_late
--     or number_of_assigned_overdue_tasks > number_of_overdue_tasks
with tasks as (
    select * from int_asana__task
),

buckets as (
    select 0 as bucket_order, '000 days' as aging_bucket, 0 as min_days_late, 0 as max_days_late
    union all select 1, '001-007 days', 1, 7
    union all select 2, '008-014 days', 8, 14
    union all select 3, '015-030 days', 15, 30
    union all select 4, '031-060 days', 31, 60
    union all select 5, '061-090 days', 61, 90
    union all select 6, '091-180 days', 91, 180
    union all select 7, '181+ days', 181, null
),

workspaces as (
    select distinct workspace_gid from tasks
),

task_kinds as (
    select false as is_subtask
    union all
    select true as is_subtask
),

overdue as (
    select * from tasks where is_overdue
)

select
    workspaces.workspace_gid,
    task_kinds.is_subtask,
    buckets.aging_bucket,
    buckets.bucket_order,
    buckets.min_days_late,
    buckets.max_days_late,
    count(overdue.task_gid) as number_of_overdue_tasks,
    count(overdue.assignee_user_gid) as number_of_assigned_overdue_tasks,
    min(overdue.due_date) as oldest_due_date,
    cast(avg(overdue.days_overdue) as double) as avg_days_overdue
from workspaces
cross join task_kinds
cross join buckets
left join overdue
    on workspaces.workspace_gid = overdue.workspace_gid
    and task_kinds.is_subtask = overdue.is_subtask
    and overdue.days_overdue >= buckets.min_days_late
    and (buckets.max_days_late is null or overdue.days_overdue <= buckets.max_days_late)
group by
    workspaces.workspace_gid,
    task_kinds.is_subtask,
    buckets.aging_bucket,
    buckets.bucket_order,
    buckets.min_days_late,
    buckets.max_days_late
