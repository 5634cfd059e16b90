{#-
    A savings percentage as it may be shown: 100 * savings / baseline floored to a whole
    percent, a loss included (-3.2 % -> -4 %); 0 when positive savings are under 1 % of the
    baseline or under one cent (shown as $0.00: "saved $0.00, 50 %" would contradict itself,
    and the ROI mart's data test refuses it); null when the savings are null, or a loss has no positive baseline to be a
    percentage of (0 when there are no savings and no baseline). The floor is checked against
    the exact product, so a quotient that numeric division rounds to a whole number
    (4.99999999999999999997 -> 5.0000000000000000) is still floored to 4; division never
    rounds past a whole number, so the floor is at most one too high, for losses too.
-#}
{%- macro conservative_savings_percentage(savings, baseline) -%}
    {%- if savings is none or baseline is none
        or (savings | string | trim | length == 0)
        or (baseline | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error(
            "conservative_savings_percentage: savings and baseline must be SQL expressions"
        ) }}
    {%- endif -%}
    {%- set quotient_floor = 'floor(100 * (' ~ savings ~ ') / (' ~ baseline ~ '))' -%}
    case
        when ({{ savings }}) is null then null
        when ({{ baseline }}) <= 0 and ({{ savings }}) < 0 then null
        when ({{ baseline }}) > 0
            and (
                ({{ savings }}) < 0
                or (({{ savings }}) >= 0.01 and ({{ savings }}) >= 0.01 * ({{ baseline }}))
            )
            then cast(
                {{ quotient_floor }}
                - case
                    when {{ quotient_floor }} * ({{ baseline }}) > 100 * ({{ savings }}) then 1
                    else 0
                end
                as numeric(38, 2)
            )
        else cast(0 as numeric(38, 2))
    end
{%- endmacro -%}
