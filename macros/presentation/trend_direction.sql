{#-
    increasing / decreasing / stable for `current` against `previous` (exact totals of two
    equal windows): the change (current - previous) / |previous| is stable inside
    +-var('trend_stable_band') (exclusive); with previous = 0 the sign of current decides.
    Null when `is_measurable` is false (no previous window to compare with).
-#}
{%- macro trend_direction(current, previous, is_measurable) -%}
    {%- set current_value = 'coalesce(' ~ current ~ ', 0)' -%}
    {%- set previous_value = 'coalesce(' ~ previous ~ ', 0)' -%}
    case
        when not {{ is_measurable }} then null
        when {{ previous_value }} = 0
            then case
                when {{ current_value }} > 0 then 'increasing'
                when {{ current_value }} < 0 then 'decreasing'
                else 'stable'
            end
        when abs({{ current_value }} - {{ previous_value }})
            < {{ var('trend_stable_band') }} * abs({{ previous_value }}) then 'stable'
        when {{ current_value }} > {{ previous_value }} then 'increasing'
        else 'decreasing'
    end
{%- endmacro -%}
