-- Section moves of non-deleted tasks from the structured section_changed stories (not story text).
-- The project is the project of the new section (else of the old one).
-- grain: story_gid
with stories as (
    select * from stg_asana__story
),

sections as (
    select * from stg_asana__section
),

tasks as (
    select * from int_asana__task
)

select
    stories.story_gid,
    stories.task_gid,
    coalesce(new_sections.project_gid, old_sections.project_gid) as project_gid,
    stories.old_section_gid as from_section_gid,
    stories.new_section_gid as to_section_gid,
    stories.created_at as changed_at,
    stories.created_by_user_gid as changed_by_user_gid
from stories
inner join tasks
    on stories.task_gid = tasks.task_gid
left join sections as old_sections
    on stories.old_section_gid = old_sections.section_gid
left join sections as new_sections
    on stories.new_section_gid = new_sections.section_gid
where stories.story_subtype = 'section_changed'
    or stories.old_section_gid is not null
    or stories.new_section_gid is not null
