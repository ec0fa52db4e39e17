-- One row per (non-deleted) portfolio: owner, members, projects (direct and via nested portfolios at any
-- depth, each project counted once; deleted or unknown projects and deleted nested portfolios are skipped),
-- task counts over those projects (each non-deleted task counted once even if it sits in several of the
-- portfolio's projects) and the latest status update (by created_at, then gid).
-- grain: portfolio_gid
-- references: owner_user_gid -> asana__user.user_gid
-- expect_zero: counts_in_range: select portfolio_gid from asana__portfolio
--     where number_of_open_tasks + number_of_tasks_completed <> number_of_tasks
--     or number_of_overdue_tasks > number_of_open_tasks or number_of_direct_projects > number_of_projects
with recursive portfolios as (
    select * from stg_asana__portfolio
    where not is_deleted
),

items as (
    select * from stg_asana__portfolio_item
),

projects as (
    select * from stg_asana__project
    where not is_deleted
),

project_tasks as (
    select * from int_asana__project_task
),

users as (
    select * from stg_asana__user
),

status_updates as (
    select * from stg_asana__status_update
    where parent_type = 'portfolio'
),

members as (
    select portfolio_gid, count(distinct user_gid) as number_of_members
    from stg_asana__portfolio_membership
    group by portfolio_gid
),

-- every portfolio reachable from each portfolio through nested portfolio items, itself included;
-- union (not union all) makes the recursion stop on a cycle
reachable as (
    select
        portfolio_gid as root_portfolio_gid,
        portfolio_gid
    from portfolios
    union
    select
        reachable.root_portfolio_gid,
        items.item_gid as portfolio_gid
    from reachable
    inner join items
        on reachable.portfolio_gid = items.portfolio_gid
    inner join portfolios
        on items.item_gid = portfolios.portfolio_gid
    where items.item_type = 'portfolio'
),

nested as (
    select root_portfolio_gid as portfolio_gid, count(*) - 1 as number_of_nested_portfolios
    from reachable
    group by root_portfolio_gid
),

portfolio_projects as (
    select
        reachable.root_portfolio_gid as portfolio_gid,
        items.item_gid as project_gid,
        bool_or(reachable.portfolio_gid = reachable.root_portfolio_gid) as is_direct
    from reachable
    inner join items
        on reachable.portfolio_gid = items.portfolio_gid
    inner join projects
        on items.item_gid = projects.project_gid
    where items.item_type = 'project'
    group by reachable.root_portfolio_gid, items.item_gid
),

project_counts as (
    select
        portfolio_gid,
        count(*) as number_of_projects,
        count(*) filter (where is_direct) as number_of_direct_projects,
        string_agg(project_gid, ', ' order by length(project_gid), project_gid) as project_gids
    from portfolio_projects
    group by portfolio_gid
),

portfolio_tasks as (
    select distinct
        portfolio_projects.portfolio_gid,
        project_tasks.task_gid,
        project_tasks.is_completed,
        project_tasks.is_overdue
    from portfolio_projects
    inner join project_tasks
        on portfolio_projects.project_gid = project_tasks.project_gid
),

task_metrics as (
    select
        portfolio_gid,
        count(*) as number_of_tasks,
        count(*) filter (where not is_completed) as number_of_open_tasks,
        count(*) filter (where is_completed) as number_of_tasks_completed,
        count(*) filter (where is_overdue) as number_of_overdue_tasks
    from portfolio_tasks
    group by portfolio_gid
),

ranked_status as (
    select
        status_updates.*,
        row_number() over (
            partition by parent_gid
            order by created_at desc nulls last, length(status_update_gid) desc, status_update_gid desc
        ) as recency
    from status_updates
),

latest_status as (
    select * from ranked_status where recency = 1
)

select
    portfolios.portfolio_gid,
    portfolios.portfolio_name,
    portfolios.workspace_gid,
    portfolios.owner_user_gid,
    owners.user_name as owner_name,
    portfolios.color,
    portfolios.is_public,
    portfolios.created_at,
    portfolios.start_date,
    portfolios.due_date,
    portfolios.portfolio_url,
    coalesce(members.number_of_members, 0) as number_of_members,
    coalesce(nested.number_of_nested_portfolios, 0) as number_of_nested_portfolios,
    coalesce(project_counts.number_of_direct_projects, 0) as number_of_direct_projects,
    coalesce(project_counts.number_of_projects, 0) as number_of_projects,
    project_counts.project_gids,
    coalesce(task_metrics.number_of_tasks, 0) as number_of_tasks,
    coalesce(task_metrics.number_of_open_tasks, 0) as number_of_open_tasks,
    coalesce(task_metrics.number_of_tasks_completed, 0) as number_of_tasks_completed,
    coalesce(task_metrics.number_of_overdue_tasks, 0) as number_of_overdue_tasks,
    latest_status.status_update_gid as latest_status_update_gid,
    latest_status.status_type as latest_status_type,
    latest_status.title as latest_status_title,
    latest_status.created_at as latest_status_at,
    coalesce(latest_status.author_user_gid, latest_status.created_by_user_gid) as latest_status_author_user_gid,
    authors.user_name as latest_status_author_name
from portfolios
left join users as owners
    on portfolios.owner_user_gid = owners.user_gid
left join members
    on portfolios.portfolio_gid = members.portfolio_gid
left join nested
    on portfolios.portfolio_gid = nested.portfolio_gid
left join project_counts
    on portfolios.portfolio_gid = project_counts.portfolio_gid
left join task_metrics
    on portfolios.portfolio_gid = task_metrics.portfolio_gid
left join latest_status
    on portfolios.portfolio_gid = latest_status.parent_gid
left join users as authors
    on coalesce(latest_status.author_user_gid, latest_status.created_by_user_gid) = authors.user_gid
