-- One row per sync run: how long it took, what it asked of Asana (requests, 429s received, the
-- concurrency the client settled on, seconds spent waiting on Asana's Retry-After) and how it ended.
-- grain: started_at
with source as (
    select * from sync_runs
)

select
    started_at at time zone 'UTC' as started_at,
    cast(seconds as double precision) as seconds,
    cast(requests as bigint) as requests,
    cast(rows as bigint) as rows_written,
    cast(gaps as bigint) as number_of_gaps,
    cast(status as varchar) as status,
    cast(throttled as bigint) as throttled_requests,
    cast(concurrency as bigint) as final_concurrency,
    cast(lowest_concurrency as bigint) as lowest_concurrency,
    cast(waited_seconds as double precision) as waited_seconds
from source
