{#-
    A savings percentage as it may be shown: 100 * savings / baseline floored to a whole
    percent, and 0 when the savings are under 1 % of the baseline (a negative total
    included) or there is no positive baseline; null when the savings are null. The floor is
    checked against the exact product, so a quotient that numeric division rounds up to a
    whole number (4.99999999999999999997 -> 5.0000000000000000) is still floored to 4.
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
        when ({{ baseline }}) > 0 and ({{ savings }}) >= 0.01 * ({{ baseline }})
            then cast(
                {{ quotient_floor }}
                - case
                    when {{ quotient_floor }} * ({{ baseline }}) > 100 * ({{ savings }}) then 1
                    else 0
                end
                as numeric(5, 2)
            )
        else cast(0 as numeric(5, 2))
    end
{%- endmacro -%}
