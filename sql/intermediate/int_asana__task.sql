-- Every task that is not deleted, with derived UTC dates and durations. Basis of all task-level marts.
-- "as of" is the build's current UTC date (as_of_date; its time for due times); a completed task's clock stops
-- at completed_at. Overdue (open only): a task with a due time (due_at) is overdue once due_at has passed; a task
-- with only a due date (due_on, a calendar date without time zone) once that date is before today's UTC date.
-- days_overdue: whole 24-hour periods since due_at (0 during the first day), else whole days since due_on.
-- grain: task_gid
-- expect_zero: days_not_negative: select task_gid from int_asana__task
--     where days_open < 0 or days_to_complete < 0 or days_overdue < 0
-- expect_zero: overdue_is_open_and_due: select task_gid from int_asana__task
--     where is_overdue and (is_completed or (due_at is null and due_on is null))
-- expect_zero: completed_at_means_completed: select task_gid from int_asana__task
--     where completed_at is not null and not is_completed
with tasks as (
    select * from stg_asana__task
),

as_of as (
    -- one clock for the whole build: "now" in UTC, as a timestamp and as a date
    select
        now() at time zone 'UTC' as as_of_at,
        cast(now() at time zone 'UTC' as date) as as_of_date
),

live_tasks as (
    select
        tasks.*,
        coalesce(tasks.due_on, cast(tasks.due_at as date)) as due_date,
        cast(tasks.created_at as date) as created_date,
        case when tasks.is_completed then cast(tasks.completed_at as date) end as completed_date,
        as_of.as_of_at,
        as_of.as_of_date
    from tasks
    cross join as_of
    where not tasks.is_deleted
),

final as (
    select
        task_gid,
        task_name,
        task_subtype,
        workspace_gid,
        parent_task_gid,
        parent_task_gid is not null as is_subtask,
        assignee_user_gid,
        assignee_user_gid is not null as is_currently_assigned,
        is_completed,
        completed_at,
        completed_date,
        completed_by_user_gid,
        created_at,
        created_date,
        modified_at,
        due_on,
        due_at,
        due_date,
        start_on,
        start_at,
        task_notes,
        number_of_subtasks,
        number_of_likes,
        task_url,
        as_of_date,
        case
            when not is_completed then date_diff('day', created_date, as_of_date)
            when completed_date is not null then date_diff('day', created_date, completed_date)
        end as days_open,
        case
            when is_completed and completed_at is not null
                then epoch(completed_at - created_at) / 86400.0
        end as days_to_complete,
        -- a due time is a precise deadline: compare it with the clock, not its date with today's date
        case
            when is_completed then false
            when due_at is not null then due_at < as_of_at
            when due_on is not null then due_on < as_of_date
            else false
        end as is_overdue,
        case
            when is_completed then null
            when due_at is not null and due_at < as_of_at
                then cast(floor(epoch(as_of_at - due_at) / 86400.0) as bigint)
            when due_at is null and due_on < as_of_date then date_diff('day', due_on, as_of_date)
        end as days_overdue,
        case
            when not is_completed or completed_at is null or due_date is null then null
            when due_at is not null then completed_at <= due_at
            else completed_date <= due_date
        end as was_completed_on_time
    from live_tasks
)

select * from final
