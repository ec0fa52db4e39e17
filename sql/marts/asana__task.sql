-- One row per task (deleted tasks excluded), enriched with people, projects, tags, history and durations.
-- Dependencies and dependents count links to tasks that are not deleted (unknown tasks are counted).
-- Overdue: see int_asana__task (due_at against the build's UTC time when present, else due_on against
-- today's UTC date). first_modifier: the author of the task's first story with an author (comments included),
-- dbt_asana's stand-in for the creator, which the API does not give. number_of_likes: Asana's num_likes.
-- grain: task_gid
-- references: assignee_user_gid -> asana__user.user_gid, parent_task_gid -> asana__task.task_gid
-- not_null: workspace_gid, created_at
-- expect_zero: accepted_task_subtype: select task_gid from asana__task
--     where task_subtype not in ('default_task', 'milestone', 'section', 'approval')
-- expect_zero: open_subtasks_within_subtasks: select task_gid from asana__task
--     where number_of_open_subtasks > number_of_subtasks
-- expect_zero: links_reconcile_with_live_links: select asana__task.task_gid from asana__task
--     left join (select dep.task_gid, count(*) as n from stg_asana__task_dependency as dep
--         left join stg_asana__task as other on dep.depends_on_task_gid = other.task_gid
--         where not coalesce(other.is_deleted, false) group by dep.task_gid) as deps
--     on asana__task.task_gid = deps.task_gid
--     left join (select dnt.task_gid, count(*) as n from stg_asana__task_dependent as dnt
--         left join stg_asana__task as other on dnt.dependent_task_gid = other.task_gid
--         where not coalesce(other.is_deleted, false) group by dnt.task_gid) as dnts
--     on asana__task.task_gid = dnts.task_gid
--     where asana__task.number_of_dependencies <> coalesce(deps.n, 0)
--     or asana__task.number_of_dependents <> coalesce(dnts.n, 0)
-- expect_zero: no_deleted_tasks: select asana__task.task_gid from asana__task
--     inner join stg_asana__task as staged on asana__task.task_gid = staged.task_gid where staged.is_deleted
-- expect_zero: names_are_the_users: select asana__task.task_gid from asana__task
--     left join stg_asana__user as assignee on asana__task.assignee_user_gid = assignee.user_gid
--     left join stg_asana__user as completer on asana__task.completed_by_user_gid = completer.user_gid
--     left join stg_asana__user as modifier on asana__task.first_modifier_user_gid = modifier.user_gid
--     where asana__task.assignee_name is distinct from assignee.user_name
--     or asana__task.completed_by_name is distinct from completer.user_name
--     or asana__task.first_modifier_name is distinct from modifier.user_name
-- expect_zero: days_open_from_timestamps: select task_gid from asana__task
--     where is_completed and completed_at is not null
--     and days_open <> date_diff('day', cast(created_at as date), cast(completed_at as date))
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

all_tasks as (
    -- staging keeps deleted tasks: links to them are not counted (links to unknown tasks are)
    select task_gid, is_deleted from stg_asana__task
),

dependencies as (
    select stg_asana__task_dependency.task_gid, count(*) as number_of_dependencies
    from stg_asana__task_dependency
    left join all_tasks
        on stg_asana__task_dependency.depends_on_task_gid = all_tasks.task_gid
    where not coalesce(all_tasks.is_deleted, false)
    group by stg_asana__task_dependency.task_gid
),

dependents as (
    select stg_asana__task_dependent.task_gid, count(*) as number_of_dependents
    from stg_asana__task_dependent
    left join all_tasks
        on stg_asana__task_dependent.dependent_task_gid = all_tasks.task_gid
    where not coalesce(all_tasks.is_deleted, false)
    group by stg_asana__task_dependent.task_gid
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
),

authored_stories as (
    -- the first story with an author tells who first touched the task
    select
        task_gid,
        created_by_user_gid,
        row_number() over (partition by task_gid order by created_at, length(story_gid), story_gid) as story_number
    from stg_asana__story
    where created_by_user_gid is not null
        and created_at is not null
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
    -- an unassignment story means someone held the task before (a task created with an assignee has no
    -- 'assigned' story)
    coalesce(assignments.number_of_assignments, 0) > 0 or coalesce(assignments.number_of_unassignments, 0) > 0
        or tasks.is_currently_assigned as has_been_assigned,
    assignments.first_assigned_at,
    assignments.last_assigned_at,
    coalesce(assignments.number_of_assignments, 0) as number_of_assignments,
    date_diff('day', cast(assignments.first_assigned_at as date), tasks.as_of_date) as days_since_first_assignment,
    date_diff('day', cast(assignments.last_assigned_at as date), tasks.as_of_date) as days_since_last_assignment,
    tasks.is_completed,
    tasks.completed_at,
    tasks.completed_by_user_gid,
    completers.user_name as completed_by_name,
    first_stories.created_by_user_gid as first_modifier_user_gid,
    first_modifiers.user_name as first_modifier_name,
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
left join authored_stories as first_stories
    on tasks.task_gid = first_stories.task_gid
    and first_stories.story_number = 1
left join users as first_modifiers
    on first_stories.created_by_user_gid = first_modifiers.user_gid
