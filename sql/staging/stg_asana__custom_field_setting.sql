-- One row per custom field setting: a custom field added to a project or portfolio (parent_type).
-- grain: custom_field_setting_gid
with source as (
    select * from custom_field_settings
)

select
    cast(gid as varchar) as custom_field_setting_gid,
    cast(parent_gid as varchar) as parent_gid,
    cast(parent_type as varchar) as parent_type,
    cast(custom_field_gid as varchar) as custom_field_gid,
    cast(is_important as boolean) as is_important
from source
