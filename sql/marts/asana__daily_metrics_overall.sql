-- One row per UTC day over all workspaces and both kinds of task: dbt_asana's asana__daily_metrics grain, the
-- sums of the day's asana__daily_metrics rows (see there for how each count is made); avg_days_open and
-- avg_days_open_assigned are weighted by the open tasks they average over. Today's row is partial.
-- grain: date_day
-- materialized: view
-- expect_zero: created_reconciles_with_tasks: select overall.created from
--     (select coalesce(sum(number_of_tasks_created), 0) as created from asana__daily_metrics_overall) as overall
--     cross join (select count(*) as created from asana__task) as tasks
--     where overall.created <> tasks.created
with daily as (
    select * from asana__daily_metrics
)

select
    date_day,
    bool_or(is_partial_period) as is_partial_period,
    cast(sum(number_of_tasks_open) as bigint) as number_of_tasks_open,
    cast(sum(number_of_tasks_open_assigned) as bigint) as number_of_tasks_open_assigned,
    cast(sum(number_of_tasks_created) as bigint) as number_of_tasks_created,
    cast(sum(number_of_tasks_completed) as bigint) as number_of_tasks_completed,
    cast(sum(number_of_tasks_reopened) as bigint) as number_of_tasks_reopened,
    cast(sum(avg_days_open * number_of_tasks_open) as double)
        / cast(nullif(sum(number_of_tasks_open), 0) as double) as avg_days_open,
    cast(sum(avg_days_open_assigned * number_of_tasks_open_assigned) as double)
        / cast(nullif(sum(number_of_tasks_open_assigned), 0) as double) as avg_days_open_assigned
from daily
group by date_day
