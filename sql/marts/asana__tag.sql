-- One row per (non-deleted) tag with counts over its (non-deleted) tasks. number_of_projects_tagged counts the
-- (non-deleted, known) projects holding at least one of those tasks, as in int_asana__project_task.
-- avg_days_open: average days_open of the tag's tasks (whole UTC days from creation to completion, or to today
-- while open: asana__task). avg_days_assigned: average, over the tag's tasks that were ever open and assigned,
-- of the whole UTC days at whose end they were open and assigned (to anyone; today not counted), from
-- asana__task_state_history.
-- grain: tag_gid
-- expect_zero: open_plus_completed_is_all: select tag_gid from asana__tag
--     where number_of_open_tasks + number_of_tasks_completed <> number_of_tasks
--     or number_of_assigned_open_tasks > number_of_open_tasks or number_of_overdue_tasks > number_of_open_tasks
--     or avg_days_assigned < 0 or avg_days_open < 0
-- expect_zero: projects_reconcile_with_memberships: select asana__tag.tag_gid from asana__tag
--     left join (select task_tag.tag_gid, count(distinct membership.project_gid) as n
--         from stg_asana__task_tag as task_tag
--         inner join asana__task as task on task_tag.task_gid = task.task_gid
--         inner join stg_asana__task_membership as membership on task.task_gid = membership.task_gid
--         inner join asana__project as project on membership.project_gid = project.project_gid
--         group by task_tag.tag_gid) as tagged on asana__tag.tag_gid = tagged.tag_gid
--     where asana__tag.number_of_projects_tagged <> coalesce(tagged.n, 0)
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

project_tasks as (
    -- memberships of non-deleted tasks in non-deleted projects
    select * from int_asana__project_task
),

states as (
    select * from asana__task_state_history
),

assigned_days as (
    -- the UTC days at whose end the task was open and assigned: from valid_from's date up to valid_to's
    select
        states.task_gid,
        sum(date_diff('day', cast(states.valid_from as date),
            coalesce(cast(states.valid_to as date), tasks.as_of_date))) as days_assigned
    from states
    inner join tasks
        on states.task_gid = tasks.task_gid
    where not states.is_completed
        and states.assignee_user_gid is not null
    group by states.task_gid
),

tagged as (
    select
        task_tags.tag_gid,
        tasks.task_gid,
        tasks.assignee_user_gid,
        tasks.is_completed,
        tasks.is_overdue,
        tasks.days_to_complete,
        tasks.days_open,
        assigned_days.days_assigned
    from task_tags
    inner join tasks
        on task_tags.task_gid = tasks.task_gid
    left join assigned_days
        on tasks.task_gid = assigned_days.task_gid
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
            as avg_close_time_assigned_days,
        cast(avg(days_open) as double) as avg_days_open,
        cast(avg(days_assigned) as double) as avg_days_assigned
    from tagged
    group by tag_gid
),

tagged_projects as (
    select
        tagged.tag_gid,
        count(distinct project_tasks.project_gid) as number_of_projects_tagged
    from tagged
    inner join project_tasks
        on tagged.task_gid = project_tasks.task_gid
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
    task_metrics.avg_days_open,
    task_metrics.avg_days_assigned,
    coalesce(tagged_projects.number_of_projects_tagged, 0) as number_of_projects_tagged
from tags
left join task_metrics
    on tags.tag_gid = task_metrics.tag_gid
left join tagged_projects
    on tags.tag_gid = tagged_projects.tag_gid
