-- One row per portfolio, including portfolios detected as deleted (is_deleted; null means not deleted).
-- grain: portfolio_gid
with source as (
    select * from portfolios
)

select
    cast(gid as varchar) as portfolio_gid,
    cast(name as varchar) as portfolio_name,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(owner_gid as varchar) as owner_user_gid,
    cast(color as varchar) as color,
    created_at at time zone 'UTC' as created_at,
    cast(start_on as date) as start_date,
    cast(due_on as date) as due_date,
    cast(public as boolean) as is_public,
    cast(permalink_url as varchar) as portfolio_url,
    coalesce(cast(is_deleted as boolean), false) as is_deleted,
    deleted_detected_at at time zone 'UTC' as deleted_detected_at
from source
