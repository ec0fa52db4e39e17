-- Time a task spent in each section of each project, from section_changed stories.
-- The first stint runs from task creation to the first move (in the move's old section); tasks never moved
-- sit in their current section since creation. A stint ends at the next move, else at completion;
-- stints still running (open task, last section) have ended_at null and is_current true.
-- grain: task_gid, project_gid, stint_number
with history as (
    select * from int_asana__task_section_change
),

memberships as (
    select * from stg_asana__task_membership
),

tasks as (
    select * from int_asana__task
),

moves as (
    select
        task_gid,
        project_gid,
        from_section_gid,
        to_section_gid,
        changed_at,
        row_number() over (partition by task_gid, project_gid order by changed_at, story_gid) as move_number
    from history
    where project_gid is not null
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
    where memberships.section_gid is not null
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
    where stints.section_gid is not null
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
