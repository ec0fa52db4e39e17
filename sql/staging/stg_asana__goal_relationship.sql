-- One row per goal relationship: supporting_resource (a goal, project, portfolio or task) supports
-- supported_goal.
-- grain: goal_relationship_gid
with source as (
    select * from goal_relationships
)

select
    cast(gid as varchar) as goal_relationship_gid,
    cast(supported_goal_gid as varchar) as supported_goal_gid,
    cast(supporting_resource_gid as varchar) as supporting_resource_gid,
    cast(supporting_resource_type as varchar) as supporting_resource_type,
    cast(resource_subtype as varchar) as relationship_subtype,
    cast(contribution_weight as double) as contribution_weight
from source
