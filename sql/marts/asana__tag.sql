-- One row per (non-deleted) tag with counts over its (non-deleted) tasks.
-- grain: tag_gid
with tags as (
    select * from stg_asana__tag
    where not is_deleted
),

task_tags as (
    select * from stg_asana__task_tag
),

tasks as (
    select * from int_asana__task
),

memberships as (
    select * from stg_asana__task_membership
),

tagged as (
    select
        task_tags.tag_gid,
        tasks.task_gid,
        tasks.assignee_user_gid,
        tasks.is_completed,
        tasks.is_overdue,
        tasks.days_to_complete
    from task_tags
    inner join tasks
        on task_tags.task_gid = tasks.task_gid
),

task_metrics as (
    select
        tag_gid,
        count(*) as number_of_tasks,
        count(*) filter (where not is_completed) as number_of_open_tasks,
        count(*) filter (where not is_completed and assignee_user_gid is not null) as number_of_assigned_open_tasks,
        count(*) filter (where is_completed) as number_of_tasks_completed,
        count(*) filter (where is_overdue) as number_of_overdue_tasks,
        cast(avg(days_to_complete) as double) as avg_close_time_days,
        cast(avg(days_to_complete) filter (where assignee_user_gid is not null) as double)
            as avg_close_time_assigned_days
    from tagged
    group by tag_gid
),

tagged_projects as (
    select
        tagged.tag_gid,
        count(distinct memberships.project_gid) as number_of_projects_tagged
    from tagged
    inner join memberships
        on tagged.task_gid = memberships.task_gid
    group by tagged.tag_gid
)

select
    tags.tag_gid,
    tags.tag_name,
    tags.workspace_gid,
    tags.color,
    tags.created_at,
    coalesce(task_metrics.number_of_tasks, 0) as number_of_tasks,
    coalesce(task_metrics.number_of_open_tasks, 0) as number_of_open_tasks,
    coalesce(task_metrics.number_of_assigned_open_tasks, 0) as number_of_assigned_open_tasks,
    coalesce(task_metrics.number_of_tasks_completed, 0) as number_of_tasks_completed,
    coalesce(task_metrics.number_of_overdue_tasks, 0) as number_of_overdue_tasks,
    task_metrics.avg_close_time_days,
    task_metrics.avg_close_time_assigned_days,
    coalesce(tagged_projects.number_of_projects_tagged, 0) as number_of_projects_tagged
from tags
left join task_metrics
    on tags.tag_gid = task_metrics.tag_gid
left join tagged_projects
    on tags.tag_gid = tagged_projects.tag_gid
