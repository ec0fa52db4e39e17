-- Time tasks spend in each section (from int_asana__task_section_stint). Statistics in fractional days over
-- finished stints (task moved on or completed); stints still running are counted separately.
-- Deleted sections and sections of deleted projects are excluded.
-- grain: section_gid
-- references: project_gid -> asana__project.project_gid
-- expect_zero: counts_in_range: select section_gid from asana__section_cycle_time
--     where number_of_finished_stints > number_of_stints or number_of_tasks > number_of_stints
--     or number_of_tasks_currently_in_section > number_of_tasks or avg_days_in_section < 0
--     or p90_days_in_section < median_days_in_section
with stints as (
    select * from int_asana__task_section_stint
),

projects as (
    select * from stg_asana__project
),

sections as (
    -- deleted sections and sections of deleted projects are excluded
    select stg_asana__section.*
    from stg_asana__section
    left join projects
        on stg_asana__section.project_gid = projects.project_gid
    where not stg_asana__section.is_deleted
        and not coalesce(projects.is_deleted, false)
),

stats as (
    select
        section_gid,
        count(*) as number_of_stints,
        count(distinct task_gid) as number_of_tasks,
        count(*) filter (where days_in_section is not null) as number_of_finished_stints,
        cast(avg(days_in_section) as double) as avg_days_in_section,
        cast(percentile_cont(0.5) within group (order by days_in_section) as double) as median_days_in_section,
        cast(percentile_cont(0.9) within group (order by days_in_section) as double) as p90_days_in_section,
        count(*) filter (where is_current) as number_of_tasks_currently_in_section,
        cast(avg(days_in_section_so_far) as double) as avg_days_in_section_so_far
    from stints
    group by section_gid
)

select
    sections.section_gid,
    sections.section_name,
    sections.project_gid,
    coalesce(stats.number_of_stints, 0) as number_of_stints,
    coalesce(stats.number_of_tasks, 0) as number_of_tasks,
    coalesce(stats.number_of_finished_stints, 0) as number_of_finished_stints,
    stats.avg_days_in_section,
    stats.median_days_in_section,
    stats.p90_days_in_section,
    coalesce(stats.number_of_tasks_currently_in_section, 0) as number_of_tasks_currently_in_section,
    stats.avg_days_in_section_so_far
from sections
left join stats
    on sections.section_gid = stats.section_gid
