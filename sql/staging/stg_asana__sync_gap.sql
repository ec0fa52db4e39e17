-- One row per listing a sync could not read completely (Asana truncation without a way around).
-- grain: run_started_at, endpoint, parameters
with source as (
    select * from sync_gaps
)

select
    run_started_at at time zone 'UTC' as run_started_at,
    cast(endpoint as varchar) as endpoint,
    cast(parameters as varchar) as parameters,
    cast(reason as varchar) as reason
from source
