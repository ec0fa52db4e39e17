-- One row per goal, with its metric as reported by Asana and its progress, computed here once:
-- metric_progress = (current - initial) / (target - initial), null when a value is missing or target = initial
-- (Asana serves no progress value of its own).
-- grain: goal_gid
with source as (
    select * from goals
)

select
    cast(gid as varchar) as goal_gid,
    cast(name as varchar) as goal_name,
    cast(notes as varchar) as goal_notes,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(team_gid as varchar) as team_gid,
    cast(owner_gid as varchar) as owner_user_gid,
    cast(time_period_gid as varchar) as time_period_gid,
    cast(start_on as date) as start_date,
    cast(due_on as date) as due_date,
    cast(status as varchar) as goal_status,
    cast(is_workspace_level as boolean) as is_workspace_level,
    cast(metric_unit as varchar) as metric_unit,
    cast(metric_current_value as double) as metric_current_value,
    cast(metric_target_value as double) as metric_target_value,
    cast(metric_initial_value as double) as metric_initial_value,
    case
        when cast(metric_target_value as double) <> cast(metric_initial_value as double)
            then (cast(metric_current_value as double) - cast(metric_initial_value as double))
                / (cast(metric_target_value as double) - cast(metric_initial_value as double))
    end as metric_progress
from source
