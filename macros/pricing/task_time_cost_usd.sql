{#-
    The time part of a task's cost at one price row, USD, exact (untrimmed):
    cost_per_minute * duration_ms / 60000, 0 when the row sets no rate or the duration is
    missing, null when no price row is joined (`price`.price_id null).
-#}
{%- macro task_time_cost_usd(task, price) -%}
    {%- do _require_task_and_price('task_time_cost_usd', task, price) -%}
    case
        when {{ price }}.price_id is not null
            then coalesce(
                {{ safe_divide(price ~ '.cost_per_minute_usd * ' ~ task ~ '.duration_ms', 60000) }},
                0
            )
    end
{%- endmacro -%}
