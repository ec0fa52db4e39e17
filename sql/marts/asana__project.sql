-- One row per (non-deleted) project with task metrics (deleted tasks excluded), people, sections, owner,
-- team and status (current_status and is_active as defined once in int_asana__project: active = not archived and
-- not completed). is_public: visible to the whole workspace (privacy_setting 'public_to_workspace').
-- Close times are in fractional days from created_at to completed_at.
-- grain: project_gid
-- references: team_gid -> asana__team.team_gid, owner_user_gid -> asana__user.user_gid
-- expect_zero: tasks_reconcile_with_memberships: select asana__project.project_gid from asana__project
--     left join (select membership.project_gid, count(*) filter (where not task.is_completed) as open_tasks,
--         count(*) filter (where task.is_completed) as completed_tasks
--         from stg_asana__task_membership as membership
--         inner join asana__task as task on membership.task_gid = task.task_gid
--         group by membership.project_gid) as members
--     on asana__project.project_gid = members.project_gid
--     where asana__project.number_of_open_tasks <> coalesce(members.open_tasks, 0)
--     or asana__project.number_of_tasks_completed <> coalesce(members.completed_tasks, 0)
--     or asana__project.number_of_assigned_open_tasks > asana__project.number_of_open_tasks
--     or asana__project.number_of_overdue_tasks > asana__project.number_of_open_tasks
-- expect_zero: accepted_current_status: select project_gid from asana__project
--     where current_status not in ('active', 'completed', 'archived') or is_active <> (current_status = 'active')
-- expect_zero: no_deleted_projects: select asana__project.project_gid from asana__project
--     inner join stg_asana__project as staged on asana__project.project_gid = staged.project_gid
--     where staged.is_deleted
with projects as (
    select * from int_asana__project
),

project_tasks as (
    select * from int_asana__project_task
),

sections as (
    select * from stg_asana__section
    where not is_deleted
),

teams as (
    select * from stg_asana__team
),

users as (
    select * from stg_asana__user
),

task_metrics as (
    select
        project_gid,
        count(*) filter (where not is_completed) as number_of_open_tasks,
        count(*) filter (where not is_completed and assignee_user_gid is not null) as number_of_assigned_open_tasks,
        count(*) filter (where is_completed) as number_of_tasks_completed,
        count(*) filter (where is_overdue) as number_of_overdue_tasks,
        cast(avg(days_to_complete) as double) as avg_close_time_days,
        cast(percentile_cont(0.5) within group (order by days_to_complete) as double) as median_close_time_days,
        cast(avg(days_to_complete) filter (where assignee_user_gid is not null) as double)
            as avg_close_time_assigned_days,
        max(completed_at) as last_task_completed_at
    from project_tasks
    group by project_gid
),

involved as (
    select project_gid, assignee_user_gid as user_gid from project_tasks where assignee_user_gid is not null
    union
    select project_gid, owner_user_gid as user_gid from projects where owner_user_gid is not null
),

involved_names as (
    select
        involved.project_gid,
        count(*) as number_of_users_involved,
        string_agg(coalesce(users.user_name, involved.user_gid), ', '
            order by length(involved.user_gid), involved.user_gid) as users_involved
    from involved
    left join users
        on involved.user_gid = users.user_gid
    group by involved.project_gid
),

section_lists as (
    select
        project_gid,
        count(*) as number_of_sections,
        string_agg(section_name, ', ' order by created_at, length(section_gid), section_gid) as sections
    from sections
    group by project_gid
)

select
    projects.project_gid,
    projects.project_name,
    projects.workspace_gid,
    projects.team_gid,
    teams.team_name,
    projects.owner_user_gid,
    owners.user_name as owner_name,
    projects.current_status,
    projects.is_active,
    projects.is_archived,
    projects.is_completed,
    projects.completed_at,
    projects.created_at,
    projects.modified_at,
    projects.due_date,
    projects.start_date,
    projects.privacy_setting,
    projects.privacy_setting = 'public_to_workspace' as is_public,
    projects.project_notes,
    projects.default_view,
    projects.project_url,
    coalesce(task_metrics.number_of_open_tasks, 0) as number_of_open_tasks,
    coalesce(task_metrics.number_of_assigned_open_tasks, 0) as number_of_assigned_open_tasks,
    coalesce(task_metrics.number_of_tasks_completed, 0) as number_of_tasks_completed,
    coalesce(task_metrics.number_of_overdue_tasks, 0) as number_of_overdue_tasks,
    task_metrics.avg_close_time_days,
    task_metrics.median_close_time_days,
    task_metrics.avg_close_time_assigned_days,
    task_metrics.last_task_completed_at,
    coalesce(involved_names.number_of_users_involved, 0) as number_of_users_involved,
    involved_names.users_involved,
    coalesce(section_lists.number_of_sections, 0) as number_of_sections,
    section_lists.sections
from projects
left join teams
    on projects.team_gid = teams.team_gid
left join users as owners
    on projects.owner_user_gid = owners.user_gid
left join task_metrics
    on projects.project_gid = task_metrics.project_gid
left join involved_names
    on projects.project_gid = involved_names.project_gid
left join section_lists
    on projects.project_gid = section_lists.project_gid
