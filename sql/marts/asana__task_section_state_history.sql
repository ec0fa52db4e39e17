-- The section a (non-deleted) task was in, in each project it is in now, over time: one row per task, project
-- and span in which its section there stayed the same, from its creation to now (valid_to null: the current
-- section, as in stg_asana__task_membership). From the section moves (int_asana__task_section_change; the last
-- move at an instant wins): before its first move in a project the task sat in the section that move left; a
-- task never moved there sat in its current section since creation (Asana writes no story when a task is added
-- to a project, so a task added later shows there since its creation). Projects the task has left, and deleted
-- projects, are not shown; a deleted section keeps its name, flagged is_section_deleted. Companion of
-- asana__task_state_history (same spans, per project). "As of" T: valid_from <= T and (valid_to is null or
-- T < valid_to).
-- grain: task_gid, project_gid, valid_from
-- references: task_gid -> asana__task.task_gid
-- expect_zero: spans_change_the_section: select task_gid from (select task_gid, project_gid, valid_from,
--         valid_to, section_gid, row_number() over (partition by task_gid, project_gid order by valid_from)
--         as span_number, lag(section_gid) over (partition by task_gid, project_gid order by valid_from)
--         as before from asana__task_section_state_history) as spans
--     where valid_to <= valid_from or (span_number > 1 and before is not distinct from section_gid)
-- expect_zero: current_spans_are_the_memberships: select memberships.task_gid
--     from (select membership.task_gid, membership.project_gid, membership.section_gid
--         from stg_asana__task_membership as membership
--         inner join asana__task as task on membership.task_gid = task.task_gid
--         left join stg_asana__project as project on membership.project_gid = project.project_gid
--         where not coalesce(project.is_deleted, false)) as memberships
--     full outer join (select * from asana__task_section_state_history where is_current) as spans
--     on memberships.task_gid = spans.task_gid and memberships.project_gid = spans.project_gid
--     where spans.task_gid is null or memberships.task_gid is null
--     or spans.section_gid is distinct from memberships.section_gid
with memberships as (
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

moves as (
    select * from int_asana__task_section_change
),

current_memberships as (
    -- the task's projects now: memberships of deleted projects are dropped, unknown projects kept
    select
        memberships.task_gid,
        memberships.project_gid,
        memberships.section_gid,
        tasks.created_at
    from memberships
    inner join tasks
        on memberships.task_gid = tasks.task_gid
    left join projects
        on memberships.project_gid = projects.project_gid
    where not coalesce(projects.is_deleted, false)
),

numbered as (
    select
        moves.task_gid,
        moves.project_gid,
        moves.story_gid,
        moves.changed_at,
        moves.from_section_gid,
        moves.to_section_gid,
        row_number() over (partition by moves.task_gid, moves.project_gid
            order by moves.changed_at, length(moves.story_gid), moves.story_gid) as move_number,
        row_number() over (partition by moves.task_gid, moves.project_gid, moves.changed_at
            order by length(moves.story_gid) desc, moves.story_gid desc) as last_at_instant
    from moves
    inner join current_memberships
        on moves.task_gid = current_memberships.task_gid
        and moves.project_gid = current_memberships.project_gid
    where moves.changed_at is not null
),

spans as (
    select
        current_memberships.task_gid,
        current_memberships.project_gid,
        current_memberships.created_at as valid_from,
        case when firsts.task_gid is null then current_memberships.section_gid else firsts.from_section_gid end
            as section_gid
    from current_memberships
    left join numbered as firsts
        on current_memberships.task_gid = firsts.task_gid
        and current_memberships.project_gid = firsts.project_gid
        and firsts.move_number = 1
    where firsts.task_gid is null or firsts.changed_at > current_memberships.created_at
    union all
    select task_gid, project_gid, changed_at as valid_from, to_section_gid as section_gid
    from numbered
    where last_at_instant = 1
),

with_current as (
    select
        spans.task_gid,
        spans.project_gid,
        spans.valid_from,
        case
            when lead(spans.valid_from) over (partition by spans.task_gid, spans.project_gid
                order by spans.valid_from) is null then current_memberships.section_gid
            else spans.section_gid
        end as section_gid
    from spans
    inner join current_memberships
        on spans.task_gid = current_memberships.task_gid
        and spans.project_gid = current_memberships.project_gid
),

changes as (
    select
        with_current.*,
        lag(section_gid) over (partition by task_gid, project_gid order by valid_from) as before,
        row_number() over (partition by task_gid, project_gid order by valid_from) as span_number
    from with_current
),

kept as (
    select
        task_gid,
        project_gid,
        valid_from,
        lead(valid_from) over (partition by task_gid, project_gid order by valid_from) as valid_to,
        section_gid
    from changes
    where span_number = 1 or before is distinct from section_gid
)

select
    kept.task_gid,
    kept.project_gid,
    projects.project_name,
    kept.valid_from,
    kept.valid_to,
    kept.valid_to is null as is_current,
    kept.section_gid,
    sections.section_name,
    coalesce(sections.is_deleted, false) as is_section_deleted
from kept
left join projects
    on kept.project_gid = projects.project_gid
left join sections
    on kept.section_gid = sections.section_gid
