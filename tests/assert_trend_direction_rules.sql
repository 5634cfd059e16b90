-- Self-test of the trend_direction macro (band var('trend_stable_band'), 5 %): one row per
-- case whose direction differs from the rule.
with

cases as (
    select
        case_name,
        cast(current_total as numeric) as current_total,
        cast(previous_total as numeric) as previous_total,
        is_measurable,
        expected
    from (
        values
        ('up 10 percent', '110', '100', true, 'increasing'),
        ('down 10 percent', '90', '100', true, 'decreasing'),
        ('inside the band', '104.99', '100', true, 'stable'),
        ('band edge is not stable', '105', '100', true, 'increasing'),
        ('band edge downwards', '95', '100', true, 'decreasing'),
        ('from zero upwards', '1', '0', true, 'increasing'),
        ('from zero downwards', '-1', '0', true, 'decreasing'),
        ('zero to zero', '0', '0', true, 'stable'),
        ('negative savings improving', '-50', '-100', true, 'increasing'),
        ('no previous window', '10', null, false, null)
    ) as literal_cases (case_name, current_total, previous_total, is_measurable, expected)
),

directions_found as (
    select
        case_name,
        expected,
        {{ trend_direction('current_total', 'previous_total', 'is_measurable') }} as direction
    from cases
),

final as (
    select case_name as failure
    from directions_found
    where direction is distinct from expected
)

select * from final
