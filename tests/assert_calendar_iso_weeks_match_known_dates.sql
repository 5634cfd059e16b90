-- The calendar's ISO parts on days whose answers are known (a year with 53 ISO weeks, a
-- January day in the previous ISO year, a December day in the next one, a leap day).
with

expected as (
    select
        cast(known.calendar_date as date) as calendar_date,
        known.iso_year,
        known.iso_week,
        known.iso_weekday,
        known.week_start_date,
        known.day_of_year
    from (
        values
        ('2026-12-31', 2026, 53, 4, cast('2026-12-28' as date), 365),
        ('2027-01-01', 2026, 53, 5, cast('2026-12-28' as date), 1),
        ('2024-12-30', 2025, 1, 1, cast('2024-12-30' as date), 365),
        ('2024-02-29', 2024, 9, 4, cast('2024-02-26' as date), 60),
        ('2026-12-06', 2026, 49, 7, cast('2026-11-30' as date), 340)
    ) as known (
        calendar_date, iso_year, iso_week, iso_weekday, week_start_date, day_of_year
    )
),

calendar as (
    select
        calendar_date,
        iso_year,
        iso_week,
        iso_weekday,
        week_start_date,
        day_of_year
    from {{ ref('calendar') }}
),

final as (
    select
        expected.calendar_date,
        expected.iso_year as expected_iso_year,
        calendar.iso_year,
        expected.iso_week as expected_iso_week,
        calendar.iso_week
    from expected
    left join calendar as calendar
        on expected.calendar_date = calendar.calendar_date
    where
        calendar.calendar_date is null
        or calendar.iso_year <> expected.iso_year
        or calendar.iso_week <> expected.iso_week
        or calendar.iso_weekday <> expected.iso_weekday
        or calendar.week_start_date <> expected.week_start_date
        or calendar.day_of_year <> expected.day_of_year
)

select * from final
