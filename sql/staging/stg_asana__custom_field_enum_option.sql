-- One row per option of an enum / multi_enum custom field.
-- grain: enum_option_gid
with source as (
    select * from custom_field_enum_options
)

select
    cast(gid as varchar) as enum_option_gid,
    cast(custom_field_gid as varchar) as custom_field_gid,
    cast(name as varchar) as enum_option_name,
    cast(color as varchar) as color,
    cast(enabled as boolean) as is_enabled
from source
