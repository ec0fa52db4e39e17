-- One row per Asana user.
-- grain: user_gid
with source as (
    select * from users
)

select
    cast(gid as varchar) as user_gid,
    cast(name as varchar) as user_name,
    cast(email as varchar) as email
from source
