-- Section moves of non-deleted tasks from the structured section_changed stories (not story text).
-- The project is the project of the new section (else of the old one).
-- grain: story_gid
with events as (
    select * from int_asana__task_story_events
    where change_kind = 'section'
),

sections as (
    select * from stg_asana__section
)

select
    events.story_gid,
    events.task_gid,
    coalesce(new_sections.project_gid, old_sections.project_gid) as project_gid,
    events.old_section_gid as from_section_gid,
    events.new_section_gid as to_section_gid,
    events.changed_at,
    events.changed_by_user_gid,
    events.changed_by_name
from events
left join sections as old_sections
    on events.old_section_gid = old_sections.section_gid
left join sections as new_sections
    on events.new_section_gid = new_sections.section_gid
