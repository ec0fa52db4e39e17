-- One row per task (deleted tasks excluded), enriched with people, projects, tags, history and durations.
-- grain: task_gid
-- references: assignee_user_gid -> asana__user.user_gid, parent_task_gid -> asana__task.task_gid
-- not_null: workspace_gid, created_at, is_completed, is_overdue, number_of_comments
with tasks as (
    select * from int_asana__task
),

users as (
    select * from stg_asana__user
),

projects as (
    select * from int_asana__task_projects
),

tags as (
    select * from int_asana__task_tags
),

followers as (
    select * from int_asana__task_followers
),

comments as (
    select * from int_asana__task_comments
),

assignments as (
    select * from int_asana__task_assignments
),

custom_fields as (
    select * from int_asana__task_custom_fields
),

dependencies as (
    select task_gid, count(*) as number_of_dependencies
    from stg_asana__task_dependency
    group by task_gid
),

dependents as (
    select task_gid, count(*) as number_of_dependents
    from stg_asana__task_dependent
    group by task_gid
),

attachments as (
    select task_gid, count(*) as number_of_attachments
    from stg_asana__attachment
    group by task_gid
),

subtasks as (
    select
        parent_task_gid as task_gid,
        count(*) as number_of_subtasks,
        count(*) filter (where not is_completed) as number_of_open_subtasks
    from int_asana__task
    where parent_task_gid is not null
    group by parent_task_gid
),

parents as (
    select * from int_asana__task
)

select
    tasks.task_gid,
    tasks.task_name,
    tasks.task_subtype,
    tasks.workspace_gid,
    tasks.task_url,
    tasks.task_notes,
    tasks.assignee_user_gid,
    assignees.user_name as assignee_name,
    assignees.email as assignee_email,
    tasks.is_currently_assigned,
    coalesce(assignments.number_of_assignments, 0) > 0 or tasks.is_currently_assigned as has_been_assigned,
    assignments.first_assigned_at,
    assignments.last_assigned_at,
    coalesce(assignments.number_of_assignments, 0) as number_of_assignments,
    date_diff('day', cast(assignments.first_assigned_at as date), tasks.as_of_date) as days_since_first_assignment,
    date_diff('day', cast(assignments.last_assigned_at as date), tasks.as_of_date) as days_since_last_assignment,
    tasks.is_completed,
    tasks.completed_at,
    tasks.completed_by_user_gid,
    completers.user_name as completed_by_name,
    tasks.created_at,
    tasks.modified_at,
    tasks.due_date,
    tasks.due_at,
    tasks.start_on as start_date,
    tasks.days_open,
    tasks.days_to_complete,
    tasks.is_overdue,
    tasks.days_overdue,
    tasks.was_completed_on_time,
    coalesce(comments.number_of_comments, 0) as number_of_comments,
    comments.last_comment_at,
    coalesce(followers.number_of_followers, 0) as number_of_followers,
    followers.followers,
    coalesce(tags.number_of_tags, 0) as number_of_tags,
    tags.tags,
    coalesce(projects.number_of_projects, 0) as number_of_projects,
    projects.project_gids,
    projects.projects,
    projects.sections,
    projects.projects_sections,
    coalesce(custom_fields.number_of_custom_fields_set, 0) as number_of_custom_fields_set,
    custom_fields.custom_fields,
    coalesce(subtasks.number_of_subtasks, 0) as number_of_subtasks,
    coalesce(subtasks.number_of_open_subtasks, 0) as number_of_open_subtasks,
    coalesce(dependencies.number_of_dependencies, 0) as number_of_dependencies,
    coalesce(dependents.number_of_dependents, 0) as number_of_dependents,
    coalesce(attachments.number_of_attachments, 0) as number_of_attachments,
    tasks.number_of_likes,
    tasks.is_subtask,
    tasks.parent_task_gid,
    parents.task_name as parent_task_name,
    parents.assignee_user_gid as parent_assignee_user_gid,
    parent_assignees.user_name as parent_assignee_name,
    parents.due_date as parent_due_date,
    parents.created_at as parent_created_at,
    parents.is_completed as parent_is_completed
from tasks
left join users as assignees
    on tasks.assignee_user_gid = assignees.user_gid
left join users as completers
    on tasks.completed_by_user_gid = completers.user_gid
left join assignments
    on tasks.task_gid = assignments.task_gid
left join comments
    on tasks.task_gid = comments.task_gid
left join followers
    on tasks.task_gid = followers.task_gid
left join tags
    on tasks.task_gid = tags.task_gid
left join projects
    on tasks.task_gid = projects.task_gid
left join custom_fields
    on tasks.task_gid = custom_fields.task_gid
left join subtasks
    on tasks.task_gid = subtasks.task_gid
left join dependencies
    on tasks.task_gid = dependencies.task_gid
left join dependents
    on tasks.task_gid = dependents.task_gid
left join attachments
    on tasks.task_gid = attachments.task_gid
left join parents
    on tasks.parent_task_gid = parents.task_gid
left join users as parent_assignees
    on parents.assignee_user_gid = parent_assignees.user_gid
