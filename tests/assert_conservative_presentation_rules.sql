-- Self-test of the presentation macros: returns one row per case whose shown figure differs
-- from the rule (floor to the cent, floor to a whole percent, positive savings under 1 % of
-- the baseline or under a cent shown as 0, a loss shown as a loss, nothing ever rounded up).
with

cases as (
    select
        case_name,
        cast(savings as numeric) as savings,
        cast(baseline as numeric) as baseline,
        cast(expected_savings as numeric) as expected_savings,
        cast(expected_percentage as numeric) as expected_percentage
    from (
        values
        ('floors to the cent', '12.349999', '100', '12.34', '12'),
        ('never rounds up a near-whole percentage', '4.99999999999999999997', '100', '4.99', '4'),
        ('exact whole percentage kept', '5', '100', '5.00', '5'),
        ('under 1 percent shows 0', '0.999', '100', '0.00', '0'),
        ('exactly 1 percent is shown', '1', '100', '1.00', '1'),
        ('a loss is shown as a loss', '-1.51', '47.19', '-1.51', '-4'),
        ('a loss floors away from zero', '-1.514', '100', '-1.52', '-2'),
        ('a small loss is still a loss', '-0.001', '100', '-0.01', '-1'),
        ('a whole-percent loss is kept', '-3', '100', '-3.00', '-3'),
        ('a loss without baseline has no percentage', '-2', '0', '-2.00', null),
        ('no baseline shows 0', '0', '0', '0.00', '0'),
        ('savings under a cent show 0 and 0 percent', '0.0031', '0.0062', '0.00', '0'),
        ('one third floors', '1', '3', '1.00', '33'),
        ('no priced task stays null', null, null, null, null)
    ) as literal_cases (
        case_name, savings, baseline, expected_savings, expected_percentage
    )
),

figures_shown as (
    select
        case_name,
        expected_savings,
        expected_percentage,
        {{ conservative_savings('savings', 'baseline') }} as shown_savings,
        {{ conservative_savings_percentage('savings', 'baseline') }} as shown_percentage,
        {{ floor_to_places('-1.239', 2) }} as floored_negative,
        {{ floor_to_places('99.99999999999999999999', 20) }} as floored_long
    from cases
),

final as (
    select case_name as failure
    from figures_shown
    where
        shown_savings is distinct from expected_savings
        or shown_percentage is distinct from expected_percentage
    union all
    select 'floor_to_places rounds a negative number up' as failure
    from figures_shown
    where floored_negative <> -1.24
    union all
    select 'floor_to_places rounds up at many decimals' as failure
    from figures_shown
    where floored_long <> 99.99999999999999999999
)

select * from final
