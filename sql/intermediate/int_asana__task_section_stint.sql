-- Time a (non-deleted) task spent in each section of each project, from section_changed stories.
-- The first stint runs from task creation to the first move (in the move's old section); tasks never moved
-- sit in their current section since creation. A stint ends at the next move, else at completion;
-- stints still running (open task, last section) have exited_at null and is_current true. Stints in deleted
-- projects or deleted sections are left out. The grain is the stint's start: a story loaded twice makes two
-- stints that start at the same time, which the grain test reports (stint_number is only the order).
-- grain: task_gid, project_gid, entered_at
-- expect_zero: no_deleted_projects_or_sections: select stint.task_gid from int_asana__task_section_stint as stint
--     left join stg_asana__project as project on stint.project_gid = project.project_gid
--     left join stg_asana__section as section on stint.section_gid = section.section_gid
--     where coalesce(project.is_deleted, false) or coalesce(section.is_deleted, false)
-- expect_zero: exits_after_entry: select task_gid from int_asana__task_section_stint
--     where exited_at < entered_at or days_in_section < 0 or days_in_section_so_far < 0
with history as (
    select * from int_asana__task_section_change
),

memberships as (
    select * from stg_asana__task_membership
),

tasks as (
    select * from int_asana__task
),

projects as (
    select * from stg_asana__project
),

sections as (
    select * from stg_asana__section
),

live_moves as (
    -- moves within deleted projects are left out (unknown projects are kept)
    select history.*
    from history
    left join projects
        on history.project_gid = projects.project_gid
    where history.project_gid is not null
        and not coalesce(projects.is_deleted, false)
),

moves as (
    select
        task_gid,
        project_gid,
        from_section_gid,
        to_section_gid,
        changed_at,
        row_number() over (partition by task_gid, project_gid order by changed_at, story_gid) as move_number
    from live_moves
),

first_stints as (
    select
        moves.task_gid,
        moves.project_gid,
        moves.from_section_gid as section_gid,
        tasks.created_at as entered_at,
        moves.changed_at as next_move_at,
        0 as move_number
    from moves
    inner join tasks
        on moves.task_gid = tasks.task_gid
    where moves.move_number = 1
        and moves.from_section_gid is not null
),

move_stints as (
    select
        task_gid,
        project_gid,
        to_section_gid as section_gid,
        changed_at as entered_at,
        lead(changed_at) over (partition by task_gid, project_gid order by move_number) as next_move_at,
        move_number
    from moves
),

unmoved_stints as (
    select
        memberships.task_gid,
        memberships.project_gid,
        memberships.section_gid,
        tasks.created_at as entered_at,
        cast(null as timestamp) as next_move_at,
        0 as move_number
    from memberships
    inner join tasks
        on memberships.task_gid = tasks.task_gid
    left join projects
        on memberships.project_gid = projects.project_gid
    where memberships.section_gid is not null
        and not coalesce(projects.is_deleted, false)
        and not exists (
            select 1 from moves
            where moves.task_gid = memberships.task_gid
                and moves.project_gid = memberships.project_gid
        )
),

stints as (
    select * from first_stints
    union all
    select * from move_stints
    union all
    select * from unmoved_stints
),

final as (
    select
        stints.task_gid,
        stints.project_gid,
        row_number() over (partition by stints.task_gid, stints.project_gid
            order by stints.move_number) as stint_number,
        stints.section_gid,
        stints.entered_at,
        case
            when stints.next_move_at is not null then stints.next_move_at
            when tasks.is_completed then tasks.completed_at
        end as exited_at,
        stints.next_move_at is null and not tasks.is_completed as is_current,
        tasks.as_of_date
    from stints
    inner join tasks
        on stints.task_gid = tasks.task_gid
    left join sections
        on stints.section_gid = sections.section_gid
    where stints.section_gid is not null
        and not coalesce(sections.is_deleted, false)
)

select
    task_gid,
    project_gid,
    stint_number,
    section_gid,
    entered_at,
    exited_at,
    is_current,
    case
        when exited_at is not null and exited_at >= entered_at then epoch(exited_at - entered_at) / 86400.0
    end as days_in_section,
    case when is_current then date_diff('day', cast(entered_at as date), as_of_date) end as days_in_section_so_far
from final
