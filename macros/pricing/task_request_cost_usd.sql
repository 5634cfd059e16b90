{#-
    The per-request part of a task's cost at one price row, USD: cost_per_request, 0 when the
    row sets none, null when no price row is joined (`price`.price_id null).
-#}
{%- macro task_request_cost_usd(price) -%}
    {%- do _require_task_and_price('task_request_cost_usd', 'unused', price) -%}
    case
        when {{ price }}.price_id is not null then coalesce({{ price }}.cost_per_request_usd, 0)
    end
{%- endmacro -%}
