{#-
    A savings total as it may be shown (design document 5.1, issue 9): conservative means
    never rounded up. A loss is shown as a loss, floored to the cent (-1.514 -> -1.52); a
    positive total is floored to the cent, and shown as 0 when it is under 1 % of the baseline
    total or there is no positive baseline. Null when the savings total is null (no priced
    task). Apply to totals only; the exact total stays in its own column for analysts.
-#}
{%- macro conservative_savings(savings, baseline) -%}
    {%- if savings is none or baseline is none
        or (savings | string | trim | length == 0)
        or (baseline | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error(
            "conservative_savings: savings and baseline must be SQL expressions"
        ) }}
    {%- endif -%}
    case
        when ({{ savings }}) is null then null
        when ({{ savings }}) < 0
            or (({{ baseline }}) > 0 and ({{ savings }}) >= 0.01 * ({{ baseline }}))
            then {{ floor_to_places(savings, 2) }}
        else cast(0 as numeric(38, 2))
    end
{%- endmacro -%}
