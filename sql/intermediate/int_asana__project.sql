-- One row per (non-deleted) project with its status, defined here once for every mart: 'archived' when archived,
-- else 'completed' when completed, else 'active'; is_active (not archived and not completed) is what every
-- mart counts as an active project (asana__project, asana__team, asana__user).
-- grain: project_gid
-- expect_zero: accepted_current_status: select project_gid from int_asana__project
--     where current_status not in ('active', 'completed', 'archived')
--     or is_active <> (not coalesce(is_archived, false) and not coalesce(is_completed, false))
with projects as (
    select * from stg_asana__project
    where not is_deleted
),

statuses as (
    select
        projects.*,
        case
            when projects.is_archived then 'archived'
            when projects.is_completed then 'completed'
            else 'active'
        end as current_status
    from projects
)

select
    statuses.*,
    statuses.current_status = 'active' as is_active
from statuses
