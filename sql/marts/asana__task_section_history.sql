-- Every section move of a (non-deleted) task, from section_changed stories' structured columns.
-- Stories without author are kept (changed_by_* null).
-- grain: story_gid
-- references: task_gid -> asana__task.task_gid
with changes as (
    select * from int_asana__task_section_change
),

sections as (
    select * from stg_asana__section
),

projects as (
    select * from stg_asana__project
)

select
    changes.story_gid,
    changes.task_gid,
    changes.project_gid,
    projects.project_name,
    changes.from_section_gid,
    from_sections.section_name as from_section_name,
    changes.to_section_gid,
    to_sections.section_name as to_section_name,
    changes.changed_at,
    changes.changed_by_user_gid,
    changes.changed_by_name
from changes
left join sections as from_sections
    on changes.from_section_gid = from_sections.section_gid
left join sections as to_sections
    on changes.to_section_gid = to_sections.section_gid
left join projects
    on changes.project_gid = projects.project_gid
