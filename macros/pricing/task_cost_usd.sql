{#-
    The cost of one task execution at one price row, USD, exact numeric with trailing zeros
    trimmed: token part (task_token_cost_usd) + request part (task_request_cost_usd) + time
    part (task_time_cost_usd). Null when no price row is joined (`price`.price_id null).
    `task` and `price` are aliases of relations with the column names of
    stg_router__task_executions and int_provider_prices_effective.
-#}
{%- macro task_cost_usd(task, price, unsplit_rate) -%}
    {{ trim_numeric_scale(
        task_token_cost_usd(task, price, unsplit_rate)
        ~ ' + ' ~ task_request_cost_usd(price)
        ~ ' + ' ~ task_time_cost_usd(task, price)
    ) }}
{%- endmacro -%}
