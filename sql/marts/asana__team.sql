-- One row per team. Task counts are over distinct tasks: a task in two projects of one team counts once.
-- grain: team_gid
-- expect_zero: projects_reconcile_with_project_mart: select asana__team.team_gid from asana__team
--     left join (select team_gid, count(*) as n, count(*) filter (where is_archived) as archived
--         from asana__project group by team_gid) as projects
--     on asana__team.team_gid = projects.team_gid
--     where asana__team.number_of_projects <> coalesce(projects.n, 0)
--     or asana__team.number_of_archived_projects <> coalesce(projects.archived, 0)
--     or asana__team.number_of_active_projects + asana__team.number_of_archived_projects
--         <> asana__team.number_of_projects
with teams as (
    select * from stg_asana__team
),

projects as (
    select * from stg_asana__project
    where not is_deleted
),

project_tasks as (
    select * from int_asana__project_task
),

members as (
    select team_gid, count(distinct user_gid) as number_of_members
    from stg_asana__team_membership
    group by team_gid
),

team_tasks as (
    select distinct
        projects.team_gid,
        project_tasks.task_gid,
        project_tasks.assignee_user_gid,
        project_tasks.is_completed,
        project_tasks.is_overdue,
        project_tasks.days_to_complete
    from project_tasks
    inner join projects
        on project_tasks.project_gid = projects.project_gid
    where projects.team_gid is not null
),

task_metrics as (
    select
        team_gid,
        count(*) filter (where not is_completed) as number_of_open_tasks,
        count(*) filter (where not is_completed and assignee_user_gid is not null) as number_of_assigned_open_tasks,
        count(*) filter (where is_completed) as number_of_tasks_completed,
        count(*) filter (where is_overdue) as number_of_overdue_tasks,
        cast(avg(days_to_complete) as double) as avg_close_time_days,
        cast(avg(days_to_complete) filter (where assignee_user_gid is not null) as double)
            as avg_close_time_assigned_days
    from team_tasks
    group by team_gid
),

project_lists as (
    select
        team_gid,
        count(*) as number_of_projects,
        count(*) filter (where not is_archived) as number_of_active_projects,
        string_agg(project_name, ', ' order by length(project_gid), project_gid)
            filter (where not is_archived) as active_projects,
        count(*) filter (where is_archived) as number_of_archived_projects,
        string_agg(project_name, ', ' order by length(project_gid), project_gid)
            filter (where is_archived) as archived_projects
    from projects
    where team_gid is not null
    group by team_gid
)

select
    teams.team_gid,
    teams.team_name,
    teams.workspace_gid,
    teams.visibility,
    coalesce(members.number_of_members, 0) as number_of_members,
    coalesce(task_metrics.number_of_open_tasks, 0) as number_of_open_tasks,
    coalesce(task_metrics.number_of_assigned_open_tasks, 0) as number_of_assigned_open_tasks,
    coalesce(task_metrics.number_of_tasks_completed, 0) as number_of_tasks_completed,
    coalesce(task_metrics.number_of_overdue_tasks, 0) as number_of_overdue_tasks,
    task_metrics.avg_close_time_days,
    task_metrics.avg_close_time_assigned_days,
    coalesce(project_lists.number_of_projects, 0) as number_of_projects,
    coalesce(project_lists.number_of_active_projects, 0) as number_of_active_projects,
    project_lists.active_projects,
    coalesce(project_lists.number_of_archived_projects, 0) as number_of_archived_projects,
    project_lists.archived_projects
from teams
left join members
    on teams.team_gid = members.team_gid
left join task_metrics
    on teams.team_gid = task_metrics.team_gid
left join project_lists
    on teams.team_gid = project_lists.team_gid
