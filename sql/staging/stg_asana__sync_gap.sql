-- One row per part of a sync that could not be read: a listing Asana truncated with no way around
-- it (kind 'truncated'), or a request that failed after its retries (kind 'failed'). The next run
-- reads both again.
-- grain: run_started_at, endpoint, parameters
with source as (
    select * from sync_gaps
)

select
    run_started_at at time zone 'UTC' as run_started_at,
    cast(kind as varchar) as gap_kind,
    cast(endpoint as varchar) as endpoint,
    cast(parameters as varchar) as parameters,
    cast(reason as varchar) as reason
from source
