-- One row per portfolio membership (a user in a portfolio, with their access level).
-- grain: portfolio_membership_gid
with source as (
    select * from portfolio_memberships
)

select
    cast(gid as varchar) as portfolio_membership_gid,
    cast(portfolio_gid as varchar) as portfolio_gid,
    cast(user_gid as varchar) as user_gid,
    cast(access_level as varchar) as access_level
from source
