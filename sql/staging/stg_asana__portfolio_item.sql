-- One row per item of a portfolio: a project or a nested portfolio (item_type).
-- grain: portfolio_gid, item_gid
with source as (
    select * from portfolio_items
)

select
    cast(portfolio_gid as varchar) as portfolio_gid,
    cast(item_gid as varchar) as item_gid,
    cast(item_type as varchar) as item_type
from source
