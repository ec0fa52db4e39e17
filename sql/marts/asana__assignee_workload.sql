-- Open assigned tasks with a due date, per assignee, ISO week of the due date (Monday, UTC) and kind of task
-- (is_subtask: top-level tasks and subtasks on separate rows; a row exists only where there are tasks).
-- Open tasks without a due date are counted in asana__user.number_of_open_tasks_without_due_date.
-- grain: assignee_user_gid, due_week, is_subtask
-- references: assignee_user_gid -> asana__user.user_gid
-- expect_zero: counts_in_range: select assignee_user_gid from asana__assignee_workload
--     where number_of_open_tasks < 1 or number_of_overdue_tasks > number_of_open_tasks
--     or first_due_date > last_due_date or cast(date_trunc('week', first_due_date) as date) <> due_week
-- expect_zero: reconciles_with_users: select asana__user.user_gid from asana__user
--     left join (select assignee_user_gid, sum(number_of_open_tasks) as open_tasks,
--         sum(number_of_overdue_tasks) as overdue_tasks
--         from asana__assignee_workload group by assignee_user_gid) as workload
--     on asana__user.user_gid = workload.assignee_user_gid
--     where asana__user.number_of_open_tasks - asana__user.number_of_open_tasks_without_due_date
--         <> coalesce(workload.open_tasks, 0)
--     or asana__user.number_of_overdue_tasks <> coalesce(workload.overdue_tasks, 0)
with tasks as (
    select * from int_asana__task
),

users as (
    select * from stg_asana__user
),

open_tasks as (
    select
        assignee_user_gid,
        is_subtask,
        cast(date_trunc('week', due_date) as date) as due_week,
        cast(date_trunc('week', as_of_date) as date) as current_week,
        task_gid,
        task_name,
        due_date,
        is_overdue
    from tasks
    where not is_completed
        and assignee_user_gid is not null
        and due_date is not null
)

select
    open_tasks.assignee_user_gid,
    users.user_name as assignee_name,
    open_tasks.due_week,
    open_tasks.is_subtask,
    open_tasks.due_week < max(open_tasks.current_week) as is_past_week,
    open_tasks.due_week = max(open_tasks.current_week) as is_current_week,
    count(*) as number_of_open_tasks,
    count(*) filter (where open_tasks.is_overdue) as number_of_overdue_tasks,
    min(open_tasks.due_date) as first_due_date,
    max(open_tasks.due_date) as last_due_date,
    string_agg(open_tasks.task_name, ', '
        order by open_tasks.due_date, length(open_tasks.task_gid), open_tasks.task_gid) as tasks
from open_tasks
left join users
    on open_tasks.assignee_user_gid = users.user_gid
group by open_tasks.assignee_user_gid, users.user_name, open_tasks.due_week, open_tasks.is_subtask
