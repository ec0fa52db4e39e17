-- One row per project and (non-deleted) task in it, with the task's section and metrics. Deleted projects
-- (is_deleted) are excluded.
-- grain: project_gid, task_gid
with memberships as (
    select * from stg_asana__task_membership
),

tasks as (
    select * from int_asana__task
),

projects as (
    select * from stg_asana__project
)

select
    memberships.project_gid,
    memberships.task_gid,
    memberships.section_gid,
    tasks.workspace_gid,
    tasks.assignee_user_gid,
    tasks.is_completed,
    tasks.completed_at,
    tasks.days_to_complete,
    tasks.is_overdue,
    tasks.is_subtask
from memberships
inner join tasks
    on memberships.task_gid = tasks.task_gid
inner join projects
    on memberships.project_gid = projects.project_gid
where not projects.is_deleted
