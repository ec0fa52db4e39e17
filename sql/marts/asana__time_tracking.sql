-- Tracked minutes per task, user (who entered the time), project and ISO week (Monday, UTC) of entered_on
-- (created_at's UTC date when entered_on is missing). Entries on deleted tasks are excluded.
-- Project attribution: an entry whose attributable_to is a known, non-deleted project counts for that
-- project only; any other entry counts for every (non-deleted) project of its task, and for project_gid
-- null when the task is in no project. minutes = full minutes credited to the row's project, so summing
-- minutes over the projects of a multi-project task double counts; allocated_minutes = the entry's minutes
-- divided over the projects it is credited to, which sums to the true total in any grouping; hours =
-- allocated_minutes / 60, so hours too add up to the time tracked (summing minutes / 60 would count shared
-- entries once per project).
-- time_tracking_key = task_gid|user_gid|project_gid|week_start (empty text for a null part).
-- grain: time_tracking_key
-- references: task_gid -> asana__task.task_gid, project_gid -> asana__project.project_gid
-- not_null: week_start
-- expect_zero: allocated_minutes_add_up: select tracked.minutes from
--     (select coalesce(sum(allocated_minutes), 0) as minutes from asana__time_tracking) as tracked
--     cross join (select coalesce(sum(entry.duration_minutes), 0) as minutes
--         from stg_asana__time_tracking_entry as entry
--         inner join asana__task as task on entry.task_gid = task.task_gid) as entries
--     where abs(tracked.minutes - entries.minutes) > 0.01
-- expect_zero: minutes_in_range: select time_tracking_key from asana__time_tracking
--     where allocated_minutes > minutes + 0.001 or attributed_minutes + shared_minutes > minutes
--     or number_of_entries < 1 or abs(hours * 60 - allocated_minutes) > 0.001
-- expect_zero: projects_reconcile_with_entries: select tracked.project_gid from (select project_gid,
--         sum(minutes) as minutes from asana__time_tracking where project_gid is not null group by project_gid)
--     as tracked full outer join (select credited.project_gid, sum(credited.duration_minutes) as minutes from (
--         select entry.attributable_to_project_gid as project_gid, entry.duration_minutes
--         from stg_asana__time_tracking_entry as entry
--         inner join asana__task as task on entry.task_gid = task.task_gid
--         inner join asana__project as project on entry.attributable_to_project_gid = project.project_gid
--         union all
--         select membership.project_gid, entry.duration_minutes
--         from stg_asana__time_tracking_entry as entry
--         inner join asana__task as task on entry.task_gid = task.task_gid
--         inner join stg_asana__task_membership as membership on entry.task_gid = membership.task_gid
--         inner join asana__project as project on membership.project_gid = project.project_gid
--         left join asana__project as attributed on entry.attributable_to_project_gid = attributed.project_gid
--         where attributed.project_gid is null) as credited group by credited.project_gid) as entries
--     on tracked.project_gid = entries.project_gid
--     where coalesce(tracked.minutes, 0) <> coalesce(entries.minutes, 0)
with entries as (
    select * from stg_asana__time_tracking_entry
),

tasks as (
    select * from int_asana__task
),

project_tasks as (
    select * from int_asana__project_task
),

projects as (
    select * from stg_asana__project
    where not is_deleted
),

users as (
    select * from stg_asana__user
),

task_project_counts as (
    select task_gid, count(*) as number_of_task_projects
    from project_tasks
    group by task_gid
),

live_entries as (
    select
        entries.time_tracking_entry_gid,
        entries.task_gid,
        tasks.task_name,
        tasks.workspace_gid,
        entries.user_gid,
        coalesce(entries.duration_minutes, 0) as duration_minutes,
        cast(date_trunc('week', coalesce(entries.entered_on, cast(entries.created_at as date))) as date)
            as week_start,
        attributed.project_gid as attributed_project_gid,
        coalesce(task_project_counts.number_of_task_projects, 0) as number_of_task_projects
    from entries
    inner join tasks
        on entries.task_gid = tasks.task_gid
    left join projects as attributed
        on entries.attributable_to_project_gid = attributed.project_gid
    left join task_project_counts
        on entries.task_gid = task_project_counts.task_gid
),

credited as (
    -- attributed entries: their one project
    select
        time_tracking_entry_gid,
        task_gid,
        task_name,
        workspace_gid,
        user_gid,
        week_start,
        number_of_task_projects,
        attributed_project_gid as project_gid,
        true as is_attributed,
        cast(duration_minutes as double) as allocated_minutes,
        duration_minutes
    from live_entries
    where attributed_project_gid is not null
    union all
    -- other entries: every project of the task (or none), minutes shared equally
    select
        live_entries.time_tracking_entry_gid,
        live_entries.task_gid,
        live_entries.task_name,
        live_entries.workspace_gid,
        live_entries.user_gid,
        live_entries.week_start,
        live_entries.number_of_task_projects,
        project_tasks.project_gid,
        false as is_attributed,
        cast(live_entries.duration_minutes as double)
            / cast(greatest(live_entries.number_of_task_projects, 1) as double) as allocated_minutes,
        live_entries.duration_minutes
    from live_entries
    left join project_tasks
        on live_entries.task_gid = project_tasks.task_gid
    where live_entries.attributed_project_gid is null
),

aggregated as (
    select
        task_gid,
        user_gid,
        project_gid,
        week_start,
        max(task_name) as task_name,
        max(workspace_gid) as workspace_gid,
        max(number_of_task_projects) as number_of_task_projects,
        count(*) as number_of_entries,
        sum(duration_minutes) as minutes,
        sum(allocated_minutes) as allocated_minutes,
        coalesce(sum(duration_minutes) filter (where is_attributed), 0) as attributed_minutes,
        coalesce(sum(duration_minutes) filter (where not is_attributed and number_of_task_projects > 1), 0)
            as shared_minutes
    from credited
    group by task_gid, user_gid, project_gid, week_start
)

select
    aggregated.task_gid || '|' || coalesce(aggregated.user_gid, '') || '|' || coalesce(aggregated.project_gid, '')
        || '|' || strftime(aggregated.week_start, '%Y-%m-%d') as time_tracking_key,
    aggregated.task_gid,
    aggregated.task_name,
    aggregated.workspace_gid,
    aggregated.user_gid,
    users.user_name,
    aggregated.project_gid,
    projects.project_name,
    aggregated.week_start,
    aggregated.number_of_entries,
    cast(aggregated.minutes as bigint) as minutes,
    cast(aggregated.allocated_minutes as double) as allocated_minutes,
    cast(aggregated.allocated_minutes as double) / 60.0 as hours,
    cast(aggregated.attributed_minutes as bigint) as attributed_minutes,
    cast(aggregated.shared_minutes as bigint) as shared_minutes,
    aggregated.number_of_task_projects,
    aggregated.number_of_task_projects > 1 as is_multi_project_task,
    aggregated.shared_minutes > 0 as has_shared_minutes
from aggregated
left join users
    on aggregated.user_gid = users.user_gid
left join projects
    on aggregated.project_gid = projects.project_gid
