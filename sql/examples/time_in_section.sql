-- Time each task spent in each section of each project it is in: the stays of asana__task_section_state_history
-- added up per section (a task that came back to a section has several stays), in fractional days, counting the
-- stay in its current section up to the start of today (UTC), so the figures hold all day.
with today as (
    select cast(cast(now() at time zone 'UTC' as date) as timestamp) as starts
)

select
    coalesce(sections.project_name, sections.project_gid) as project,
    sections.task_gid,
    sections.section_gid,
    sections.section_name,
    count(*) as stays,
    round(cast(sum(greatest(extract(epoch from (coalesce(sections.valid_to, today.starts) - sections.valid_from)), 0))
        / 86400.0 as decimal(18, 6)), 1) as days_in_section,
    bool_or(sections.is_current) as is_there_now
from asana_analytics.asana__task_section_state_history as sections
cross join today
group by sections.project_name, sections.project_gid, sections.task_gid, sections.section_gid,
    sections.section_name
order by project, sections.task_gid, days_in_section desc, sections.section_gid;
