{#-
    `loads withdraw` removes from the live marts the rows of a published load's tasks (for a
    tenant or a price list, of every task whose figures it fed); the task-level marts then
    build again the staged rows they lack. Finding those reads all of staging, so a mart
    does it only when this is true: a load was withdrawn or restored since `built_from_at`
    (the mart's watermark, a SQL timestamptz), less an hour for the two clocks (the
    database's stamps the action, dbt's the builds). Asked when the model is executed; true
    when parsing and in a unit test.
-#}
{%- macro loads_withdrawn_or_restored_since(built_from_at) -%}
    {{- return(rows_stamped_since(
        ref('stg_router__load_withdrawals'), 'acted_at', built_from_at ~ " - interval '1 hour'"
    )) -}}
{%- endmacro -%}
