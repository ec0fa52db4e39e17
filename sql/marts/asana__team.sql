-- One row per team. Task counts are over distinct tasks: a task in two projects of one team counts once.
-- Projects are active, completed or archived as int_asana__project defines them (active: not archived and not
-- completed), so active + completed + archived = all the team's (non-deleted) projects.
-- grain: team_gid
-- expect_zero: projects_reconcile_with_project_mart: select asana__team.team_gid from asana__team
--     left join (select team_gid, count(*) as n, count(*) filter (where current_status = 'archived') as archived,
--         count(*) filter (where current_status = 'completed') as completed,
--         count(*) filter (where is_active) as active from asana__project group by team_gid) as projects
--     on asana__team.team_gid = projects.team_gid
--     where asana__team.number_of_projects <> coalesce(projects.n, 0)
--     or asana__team.number_of_archived_projects <> coalesce(projects.archived, 0)
--     or asana__team.number_of_completed_projects <> coalesce(projects.completed, 0)
--     or asana__team.number_of_active_projects <> coalesce(projects.active, 0)
--     or asana__team.number_of_active_projects + asana__team.number_of_completed_projects
--         + asana__team.number_of_archived_projects <> asana__team.number_of_projects
-- expect_zero: tasks_reconcile_with_memberships: select asana__team.team_gid from asana__team
--     left join (select project.team_gid, count(distinct task.task_gid) as tasks,
--         count(distinct task.task_gid) filter (where not task.is_completed) as open_tasks,
--         count(distinct task.task_gid) filter (where task.is_completed) as completed_tasks
--         from stg_asana__task_membership as membership
--         inner join asana__task as task on membership.task_gid = task.task_gid
--         inner join asana__project as project on membership.project_gid = project.project_gid
--         group by project.team_gid) as members
--     on asana__team.team_gid = members.team_gid
--     where asana__team.number_of_open_tasks <> coalesce(members.open_tasks, 0)
--     or asana__team.number_of_tasks_completed <> coalesce(members.completed_tasks, 0)
with teams as (
    select * from stg_asana__team
),

projects as (
    select * from int_asana__project
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
        count(*) filter (where is_active) as number_of_active_projects,
        string_agg(project_name, ', ' order by length(project_gid), project_gid)
            filter (where is_active) as active_projects,
        count(*) filter (where current_status = 'completed') as number_of_completed_projects,
        count(*) filter (where current_status = 'archived') as number_of_archived_projects,
        string_agg(project_name, ', ' order by length(project_gid), project_gid)
            filter (where current_status = 'archived') as archived_projects
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
    coalesce(project_lists.number_of_completed_projects, 0) as number_of_completed_projects,
    coalesce(project_lists.number_of_archived_projects, 0) as number_of_archived_projects,
    project_lists.archived_projects
from teams
left join members
    on teams.team_gid = members.team_gid
left join task_metrics
    on teams.team_gid = task_metrics.team_gid
left join project_lists
    on teams.team_gid = project_lists.team_gid
