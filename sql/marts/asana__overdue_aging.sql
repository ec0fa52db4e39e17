-- Open overdue tasks per workspace bucketed by days late (today UTC - due date). Every bucket is present.
-- grain: workspace_gid, aging_bucket
with tasks as (
    select * from int_asana__task
),

buckets as (
    select 1 as bucket_order, '001-007 days' as aging_bucket, 1 as min_days_late, 7 as max_days_late
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

overdue as (
    select * from tasks where is_overdue
)

select
    workspaces.workspace_gid,
    buckets.aging_bucket,
    buckets.bucket_order,
    buckets.min_days_late,
    buckets.max_days_late,
    count(overdue.task_gid) as number_of_overdue_tasks,
    count(overdue.assignee_user_gid) as number_of_assigned_overdue_tasks,
    min(overdue.due_date) as oldest_due_date,
    cast(avg(overdue.days_overdue) as double) as avg_days_overdue
from workspaces
cross join buckets
left join overdue
    on workspaces.workspace_gid = overdue.workspace_gid
    and overdue.days_overdue >= buckets.min_days_late
    and (buckets.max_days_late is null or overdue.days_overdue <= buckets.max_days_late)
group by
    workspaces.workspace_gid,
    buckets.aging_bucket,
    buckets.bucket_order,
    buckets.min_days_late,
    buckets.max_days_late
