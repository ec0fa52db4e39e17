-- Cycle time per section: how long tasks stay in each section of a board before they move on or are
-- completed (fractional days; finished stays only), and how many tasks sit there now.
select
    projects.project_name,
    sections.section_gid,
    sections.section_name,
    sections.number_of_finished_stints as finished_stays,
    round(cast(sections.avg_days_in_section as decimal(18, 6)), 1) as avg_days,
    round(cast(sections.median_days_in_section as decimal(18, 6)), 1) as median_days,
    round(cast(sections.p90_days_in_section as decimal(18, 6)), 1) as p90_days,
    sections.number_of_tasks_currently_in_section as tasks_in_section_now
from asana_analytics.asana__section_cycle_time as sections
inner join asana_analytics.asana__project as projects
    on sections.project_gid = projects.project_gid
where sections.number_of_finished_stints > 0
order by projects.project_name, median_days desc, sections.section_name;
