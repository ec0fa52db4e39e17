-- Projects and sections of each (non-deleted) task, as lists ordered by project creation (gid) order.
-- Memberships of deleted projects are dropped (unknown projects are kept, by gid); a deleted section shows as
-- no section.
-- grain: task_gid
-- references: task_gid -> int_asana__task.task_gid
with memberships as (
    select * from stg_asana__task_membership
),

projects as (
    select * from stg_asana__project
),

sections as (
    select * from stg_asana__section
),

tasks as (
    -- deleted tasks (and their stories, tags, ...) are left out
    select * from int_asana__task
),

joined as (
    select
        memberships.task_gid,
        memberships.project_gid,
        coalesce(projects.project_name, memberships.project_gid) as project_name,
        memberships.section_gid,
        sections.section_name
    from memberships
    inner join tasks
        on memberships.task_gid = tasks.task_gid
    left join projects
        on memberships.project_gid = projects.project_gid
    left join sections
        on memberships.section_gid = sections.section_gid
        and not sections.is_deleted
    where not coalesce(projects.is_deleted, false)
)

select
    task_gid,
    count(*) as number_of_projects,
    string_agg(project_gid, ', ' order by length(project_gid), project_gid) as project_gids,
    string_agg(project_name, ', ' order by length(project_gid), project_gid) as projects,
    string_agg(section_name, ', ' order by length(project_gid), project_gid) as sections,
    string_agg(project_name || ': ' || coalesce(section_name, '(no section)'), ', '
        order by length(project_gid), project_gid) as projects_sections
from joined
group by task_gid
