-- One row per user with their task load (deleted tasks excluded) and projects. Task counts include the
-- subtasks assigned to the user; the *_top_level_* counts leave subtasks out. Projects owned and projects
-- working on (holding an open task assigned to the user; dbt_asana's "projects currently assigned to") count
-- active projects only (int_asana__project: not archived and not completed).
-- grain: user_gid
-- expect_zero: counts_in_range: select user_gid from asana__user
--     where number_of_open_tasks_without_due_date > number_of_open_tasks
--     or number_of_overdue_tasks > number_of_open_tasks
--     or number_of_open_top_level_tasks > number_of_open_tasks
--     or number_of_top_level_tasks_completed > number_of_tasks_completed
--     or number_of_overdue_top_level_tasks > number_of_overdue_tasks
-- expect_zero: open_tasks_reconcile_with_tasks: select asana__user.user_gid from asana__user
--     left join (select assignee_user_gid, count(*) filter (where not is_completed) as open_tasks,
--         count(*) filter (where not is_completed and not is_subtask) as open_top_level_tasks
--         from asana__task group by assignee_user_gid) as tasks
--     on asana__user.user_gid = tasks.assignee_user_gid
--     where asana__user.number_of_open_tasks <> coalesce(tasks.open_tasks, 0)
--     or asana__user.number_of_open_top_level_tasks <> coalesce(tasks.open_top_level_tasks, 0)
-- expect_zero: owned_projects_reconcile: select asana__user.user_gid from asana__user
--     left join (select owner_user_gid, count(*) as n from asana__project
--         where is_active group by owner_user_gid) as owned
--     on asana__user.user_gid = owned.owner_user_gid
--     where asana__user.number_of_projects_owned <> coalesce(owned.n, 0)
with users as (
    select * from stg_asana__user
),

tasks as (
    select * from int_asana__task
),

project_tasks as (
    select * from int_asana__project_task
),

projects as (
    select * from int_asana__project
),

task_metrics as (
    select
        assignee_user_gid as user_gid,
        count(*) filter (where not is_completed) as number_of_open_tasks,
        count(*) filter (where not is_completed and due_date is null) as number_of_open_tasks_without_due_date,
        count(*) filter (where is_completed) as number_of_tasks_completed,
        count(*) filter (where is_overdue) as number_of_overdue_tasks,
        count(*) filter (where not is_completed and not is_subtask) as number_of_open_top_level_tasks,
        count(*) filter (where is_completed and not is_subtask) as number_of_top_level_tasks_completed,
        count(*) filter (where is_overdue and not is_subtask) as number_of_overdue_top_level_tasks,
        cast(avg(days_to_complete) as double) as avg_close_time_days
    from tasks
    where assignee_user_gid is not null
    group by assignee_user_gid
),

owned as (
    select
        owner_user_gid as user_gid,
        count(*) as number_of_projects_owned,
        string_agg(project_name, ', ' order by length(project_gid), project_gid) as projects_owned
    from projects
    where owner_user_gid is not null and is_active
    group by owner_user_gid
),

working_on_pairs as (
    select distinct
        project_tasks.assignee_user_gid as user_gid,
        project_tasks.project_gid,
        projects.project_name
    from project_tasks
    inner join projects
        on project_tasks.project_gid = projects.project_gid
    where project_tasks.assignee_user_gid is not null
        and not project_tasks.is_completed
        and projects.is_active
),

working_on as (
    select
        user_gid,
        count(*) as number_of_projects_working_on,
        string_agg(project_name, ', ' order by length(project_gid), project_gid) as projects_working_on
    from working_on_pairs
    group by user_gid
)

select
    users.user_gid,
    users.user_name,
    users.email,
    coalesce(task_metrics.number_of_open_tasks, 0) as number_of_open_tasks,
    coalesce(task_metrics.number_of_open_tasks_without_due_date, 0) as number_of_open_tasks_without_due_date,
    coalesce(task_metrics.number_of_tasks_completed, 0) as number_of_tasks_completed,
    coalesce(task_metrics.number_of_overdue_tasks, 0) as number_of_overdue_tasks,
    coalesce(task_metrics.number_of_open_top_level_tasks, 0) as number_of_open_top_level_tasks,
    coalesce(task_metrics.number_of_top_level_tasks_completed, 0) as number_of_top_level_tasks_completed,
    coalesce(task_metrics.number_of_overdue_top_level_tasks, 0) as number_of_overdue_top_level_tasks,
    task_metrics.avg_close_time_days,
    coalesce(owned.number_of_projects_owned, 0) as number_of_projects_owned,
    owned.projects_owned,
    coalesce(working_on.number_of_projects_working_on, 0) as number_of_projects_working_on,
    working_on.projects_working_on
from users
left join task_metrics
    on users.user_gid = task_metrics.user_gid
left join owned
    on users.user_gid = owned.user_gid
left join working_on
    on users.user_gid = working_on.user_gid
