-- One row per time period (fiscal year, half, quarter) of a workspace.
-- grain: time_period_gid
with source as (
    select * from time_periods
)

select
    cast(gid as varchar) as time_period_gid,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(display_name as varchar) as time_period_name,
    cast(period as varchar) as period,
    cast(start_on as date) as start_date,
    cast(end_on as date) as end_date,
    cast(parent_gid as varchar) as parent_time_period_gid
from source
