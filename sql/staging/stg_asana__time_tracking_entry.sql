-- One row per time tracking entry on a task (duration in minutes, entered for a UTC date).
-- grain: time_tracking_entry_gid
with source as (
    select * from time_tracking_entries
)

select
    cast(gid as varchar) as time_tracking_entry_gid,
    cast(task_gid as varchar) as task_gid,
    cast(created_by_gid as varchar) as user_gid,
    cast(attributable_to_gid as varchar) as attributable_to_project_gid,
    cast(duration_minutes as bigint) as duration_minutes,
    cast(entered_on as date) as entered_on,
    created_at at time zone 'UTC' as created_at
from source
