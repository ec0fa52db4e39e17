-- The value of each custom field of a (non-deleted) task over time: one row per task, custom field it has now
-- and span in which the value stayed the same, from its creation to now (valid_to null: the current value, as
-- in asana__custom_field_values). From the custom field stories of int_asana__task_story_events (the last story
-- at an instant wins), for text, number, enum and date fields, whose stories carry the old and new values:
-- before its first story the field held that story's old value; without stories it held its current value
-- since creation. Multi-enum and people fields (their stories carry no values) hold their current value
-- throughout. display_value is Asana's display value now, and for earlier spans the value as Asana displays
-- it (text; enum option name; ISO date; number with the field's precision). Companion of
-- asana__task_state_history (its custom_fields summary is built from these rows).
-- grain: task_gid, custom_field_gid, valid_from
-- references: task_gid -> asana__task.task_gid
-- expect_zero: spans_change_the_value: select task_gid from (select task_gid, valid_from, valid_to,
--         text_value, number_value, enum_value_gid, date_value,
--         row_number() over (partition by task_gid, custom_field_gid order by valid_from) as span_number,
--         lag(text_value) over (partition by task_gid, custom_field_gid order by valid_from) as text_before,
--         lag(number_value) over (partition by task_gid, custom_field_gid order by valid_from) as number_before,
--         lag(enum_value_gid) over (partition by task_gid, custom_field_gid order by valid_from) as enum_before,
--         lag(date_value) over (partition by task_gid, custom_field_gid order by valid_from) as date_before
--         from asana__task_custom_field_state_history) as spans
--     where valid_to <= valid_from or (span_number > 1 and text_before is not distinct from text_value
--         and number_before is not distinct from number_value and enum_before is not distinct from enum_value_gid
--         and date_before is not distinct from date_value)
-- expect_zero: current_spans_are_the_values: select field_values.task_gid from asana__custom_field_values
--     as field_values full outer join (select * from asana__task_custom_field_state_history
--         where is_current) as spans
--     on field_values.task_gid = spans.task_gid and field_values.custom_field_gid = spans.custom_field_gid
--     where spans.task_gid is null or field_values.task_gid is null
--     or spans.display_value is distinct from field_values.display_value
--     or spans.number_value is distinct from field_values.number_value
--     or spans.enum_value_gid is distinct from field_values.enum_value_gid
with field_values as (
    select * from int_asana__task_custom_field_values
),

tasks as (
    select * from int_asana__task
),

options as (
    select * from stg_asana__custom_field_enum_option
),

stories as (
    -- only these kinds of field carry their old and new values in the story
    select
        events.task_gid,
        events.custom_field_gid,
        events.story_gid,
        events.changed_at,
        events.old_text_value,
        events.new_text_value,
        events.old_number_value,
        events.new_number_value,
        events.old_enum_value_gid,
        events.new_enum_value_gid,
        events.old_date_value,
        events.new_date_value
    from int_asana__task_story_events as events
    inner join field_values
        on events.task_gid = field_values.task_gid
        and events.custom_field_gid = field_values.custom_field_gid
    where events.change_kind = 'custom_field'
        and events.changed_at is not null
        and field_values.custom_field_type in ('text', 'number', 'enum', 'date')
),

numbered as (
    select
        stories.*,
        row_number() over (partition by task_gid, custom_field_gid
            order by changed_at, length(story_gid), story_gid) as story_number,
        row_number() over (partition by task_gid, custom_field_gid, changed_at
            order by length(story_gid) desc, story_gid desc) as last_at_instant
    from stories
),

spans as (
    select
        field_values.task_gid,
        field_values.custom_field_gid,
        tasks.created_at as valid_from,
        firsts.old_text_value as text_value,
        firsts.old_number_value as number_value,
        firsts.old_enum_value_gid as enum_value_gid,
        firsts.old_date_value as date_value
    from field_values
    inner join tasks
        on field_values.task_gid = tasks.task_gid
    left join numbered as firsts
        on field_values.task_gid = firsts.task_gid
        and field_values.custom_field_gid = firsts.custom_field_gid
        and firsts.story_number = 1
    where firsts.task_gid is null or firsts.changed_at > tasks.created_at
    union all
    select
        task_gid,
        custom_field_gid,
        changed_at as valid_from,
        new_text_value as text_value,
        new_number_value as number_value,
        new_enum_value_gid as enum_value_gid,
        new_date_value as date_value
    from numbered
    where last_at_instant = 1
),

with_current as (
    -- the last span holds the current value (so does the only span of a field without stories)
    select
        spans.task_gid,
        spans.custom_field_gid,
        spans.valid_from,
        lead(spans.valid_from) over (partition by spans.task_gid, spans.custom_field_gid
            order by spans.valid_from) is null as is_last,
        spans.text_value,
        spans.number_value,
        spans.enum_value_gid,
        spans.date_value
    from spans
),

valued as (
    select
        with_current.task_gid,
        with_current.custom_field_gid,
        with_current.valid_from,
        with_current.is_last,
        case when with_current.is_last then field_values.text_value else with_current.text_value end
            as text_value,
        case when with_current.is_last then field_values.number_value else with_current.number_value end
            as number_value,
        case when with_current.is_last then field_values.enum_value_gid else with_current.enum_value_gid end
            as enum_value_gid,
        case when with_current.is_last then field_values.date_value else with_current.date_value end
            as date_value
    from with_current
    inner join field_values
        on with_current.task_gid = field_values.task_gid
        and with_current.custom_field_gid = field_values.custom_field_gid
),

changes as (
    select
        valued.*,
        row_number() over (partition by task_gid, custom_field_gid order by valid_from) as span_number,
        lag(text_value) over (partition by task_gid, custom_field_gid order by valid_from) as text_before,
        lag(number_value) over (partition by task_gid, custom_field_gid order by valid_from) as number_before,
        lag(enum_value_gid) over (partition by task_gid, custom_field_gid order by valid_from) as enum_before,
        lag(date_value) over (partition by task_gid, custom_field_gid order by valid_from) as date_before
    from valued
),

kept as (
    select
        task_gid,
        custom_field_gid,
        valid_from,
        lead(valid_from) over (partition by task_gid, custom_field_gid order by valid_from) as valid_to,
        text_value,
        number_value,
        enum_value_gid,
        date_value
    from changes
    where span_number = 1
        or text_before is distinct from text_value
        or number_before is distinct from number_value
        or enum_before is distinct from enum_value_gid
        or date_before is distinct from date_value
),

numbers as (
    -- a number as Asana displays it: rounded to the field's precision, that many decimals (in whole units of
    -- the last decimal; a number too large for that is shown as the engine writes it)
    select
        kept.*,
        case
            when abs(kept.number_value) * power(10, coalesce(field_values.number_precision, 0)) < 1e15
                then cast(round(abs(kept.number_value) * power(10, coalesce(field_values.number_precision, 0)))
                    as bigint)
        end as scaled,
        cast(power(10, coalesce(field_values.number_precision, 0)) as bigint) as unit,
        coalesce(field_values.number_precision, 0) as number_precision
    from kept
    inner join field_values
        on kept.task_gid = field_values.task_gid
        and kept.custom_field_gid = field_values.custom_field_gid
)

select
    numbers.task_gid,
    numbers.custom_field_gid,
    field_values.custom_field_name,
    field_values.custom_field_type,
    numbers.valid_from,
    numbers.valid_to,
    numbers.valid_to is null as is_current,
    case
        when numbers.valid_to is null then field_values.display_value
        when field_values.custom_field_type = 'text' then numbers.text_value
        when field_values.custom_field_type = 'enum' then options.enum_option_name
        when field_values.custom_field_type = 'date' then cast(numbers.date_value as varchar)
        when field_values.custom_field_type <> 'number' or numbers.number_value is null then null
        when numbers.scaled is null then cast(numbers.number_value as varchar)
        when numbers.number_precision <= 0 then
            (case when numbers.number_value < 0 and numbers.scaled > 0 then '-' else '' end)
            || cast(numbers.scaled as varchar)
        else
            (case when numbers.number_value < 0 and numbers.scaled > 0 then '-' else '' end)
            || cast(cast(floor(cast(numbers.scaled as double) / cast(numbers.unit as double)) as bigint) as varchar)
            || '.' || substr(cast(numbers.scaled + numbers.unit as varchar),
                length(cast(numbers.scaled + numbers.unit as varchar)) - cast(numbers.number_precision as integer) + 1)
    end as display_value,
    numbers.text_value,
    numbers.number_value,
    numbers.enum_value_gid,
    options.enum_option_name as enum_value_name,
    numbers.date_value,
    field_values.multi_enum_value_gids,
    field_values.multi_enum_value_names,
    field_values.people_value_gids
from numbers
inner join field_values
    on numbers.task_gid = field_values.task_gid
    and numbers.custom_field_gid = field_values.custom_field_gid
left join options
    on numbers.enum_value_gid = options.enum_option_gid
