-- One row per goal with owner, team, time period, metric progress, what supports it (direct goal
-- relationships; deleted projects, portfolios and tasks are not counted), how many goals it supports and its
-- latest status update. metric_progress = (current - initial) / (target - initial) of the metric (null when
-- a value is missing or target = initial), computed once in stg_asana__goal.
-- grain: goal_gid
-- references: owner_user_gid -> asana__user.user_gid, team_gid -> asana__team.team_gid
with goals as (
    select * from stg_asana__goal
),

relationships as (
    select * from stg_asana__goal_relationship
),

time_periods as (
    select * from stg_asana__time_period
),

users as (
    select * from stg_asana__user
),

teams as (
    select * from stg_asana__team
),

deleted_resources as (
    select project_gid as resource_gid, 'project' as resource_type from stg_asana__project where is_deleted
    union all
    select portfolio_gid, 'portfolio' from stg_asana__portfolio where is_deleted
    union all
    select task_gid, 'task' from stg_asana__task where is_deleted
),

live_relationships as (
    select relationships.*
    from relationships
    left join deleted_resources
        on relationships.supporting_resource_gid = deleted_resources.resource_gid
        and relationships.supporting_resource_type = deleted_resources.resource_type
    where deleted_resources.resource_gid is null
),

supporting as (
    select
        supported_goal_gid as goal_gid,
        count(distinct supporting_resource_gid) filter (where supporting_resource_type = 'goal')
            as number_of_supporting_goals,
        count(distinct supporting_resource_gid) filter (where supporting_resource_type = 'project')
            as number_of_supporting_projects,
        count(distinct supporting_resource_gid) filter (where supporting_resource_type = 'portfolio')
            as number_of_supporting_portfolios,
        count(distinct supporting_resource_gid) filter (where supporting_resource_type = 'task')
            as number_of_supporting_tasks
    from live_relationships
    group by supported_goal_gid
),

supported as (
    select supporting_resource_gid as goal_gid, count(distinct supported_goal_gid) as number_of_goals_supported
    from relationships
    where supporting_resource_type = 'goal'
    group by supporting_resource_gid
),

ranked_status as (
    select
        stg_asana__status_update.*,
        row_number() over (
            partition by parent_gid
            order by created_at desc nulls last, length(status_update_gid) desc, status_update_gid desc
        ) as recency
    from stg_asana__status_update
    where parent_type = 'goal'
),

latest_status as (
    select * from ranked_status where recency = 1
)

select
    goals.goal_gid,
    goals.goal_name,
    goals.workspace_gid,
    goals.team_gid,
    teams.team_name,
    goals.owner_user_gid,
    owners.user_name as owner_name,
    goals.goal_status,
    goals.is_workspace_level,
    goals.start_date,
    goals.due_date,
    goals.time_period_gid,
    time_periods.time_period_name,
    time_periods.period as time_period,
    time_periods.start_date as time_period_start_date,
    time_periods.end_date as time_period_end_date,
    goals.metric_unit,
    goals.metric_initial_value,
    goals.metric_current_value,
    goals.metric_target_value,
    goals.metric_progress,
    coalesce(supporting.number_of_supporting_goals, 0) as number_of_supporting_goals,
    coalesce(supporting.number_of_supporting_projects, 0) as number_of_supporting_projects,
    coalesce(supporting.number_of_supporting_portfolios, 0) as number_of_supporting_portfolios,
    coalesce(supporting.number_of_supporting_tasks, 0) as number_of_supporting_tasks,
    coalesce(supported.number_of_goals_supported, 0) as number_of_goals_supported,
    latest_status.status_update_gid as latest_status_update_gid,
    latest_status.status_type as latest_status_type,
    latest_status.title as latest_status_title,
    latest_status.created_at as latest_status_at
from goals
left join teams
    on goals.team_gid = teams.team_gid
left join users as owners
    on goals.owner_user_gid = owners.user_gid
left join time_periods
    on goals.time_period_gid = time_periods.time_period_gid
left join supporting
    on goals.goal_gid = supporting.goal_gid
left join supported
    on goals.goal_gid = supported.goal_gid
left join latest_status
    on goals.goal_gid = latest_status.parent_gid
