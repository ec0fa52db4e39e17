-- One row per custom field definition.
-- grain: custom_field_gid
with source as (
    select * from custom_fields
)

select
    cast(gid as varchar) as custom_field_gid,
    cast(name as varchar) as custom_field_name,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(resource_subtype as varchar) as custom_field_type,
    cast(description as varchar) as custom_field_description,
    cast(precision as bigint) as number_precision,
    cast(is_global_to_workspace as boolean) as is_global_to_workspace
from source
