-- Every task that is not deleted, with derived UTC dates and durations. Basis of all task-level marts.
-- "as of" is the build's current UTC date; a completed task's clock stops at completed_at.
-- grain: task_gid
with tasks as (
    select * from stg_asana__task
),

as_of as (
    select cast(now() at time zone 'UTC' as date) as as_of_date
),

live_tasks as (
    select
        tasks.*,
        coalesce(tasks.due_on, cast(tasks.due_at as date)) as due_date,
        cast(tasks.created_at as date) as created_date,
        case when tasks.is_completed then cast(tasks.completed_at as date) end as completed_date,
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
        coalesce(not is_completed and due_date < as_of_date, false) as is_overdue,
        case
            when not is_completed and due_date < as_of_date then date_diff('day', due_date, as_of_date)
        end as days_overdue,
        case
            when not is_completed or completed_at is null or due_date is null then null
            when due_at is not null then completed_at <= due_at
            else completed_date <= due_date
        end as was_completed_on_time
    from live_tasks
)

select * from final
