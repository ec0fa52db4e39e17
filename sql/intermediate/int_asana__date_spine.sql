-- One row per UTC day from the first (non-deleted) task's creation to today. Recursive CTE: portable.
-- grain: date_day
with recursive tasks as (
    select * from int_asana__task
),

bounds as (
    select
        min(created_date) as first_day,
        max(as_of_date) as last_day
    from tasks
),

spine as (
    select
        first_day as date_day,
        last_day
    from bounds
    where first_day is not null
    union all
    select
        cast(date_day + 1 as date) as date_day,
        last_day
    from spine
    where date_day < last_day
)

select date_day from spine
