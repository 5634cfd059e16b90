{#-
    The point-in-time price rule, in one place: for every task of `tasks`, the price rows of
    `prices` (int_provider_prices_effective) for its provider and tier (default `standard`),
    for its model or provider-wide, whose [effective_from_at, effective_until_at) contains
    its started_at; ranked model-specific first, then latest effective_from, then price_id.
    Renders a select of (tenant_id, task_execution_id, price_id, price_rank): rank 1 is the price used.
-#}
{%- macro prices_in_effect_ranked(tasks, prices, provider_column, model_column) -%}
    select
        {{ tasks }}.tenant_id,
        {{ tasks }}.task_execution_id,
        {{ prices }}.price_id,
        row_number() over (
            partition by {{ tasks }}.tenant_id, {{ tasks }}.task_execution_id
            order by
                {{ prices }}.is_provider_wide asc,
                {{ prices }}.effective_from_at desc,
                {{ prices }}.price_id asc
        ) as price_rank
    from {{ tasks }}
    inner join {{ prices }}
        on
            {{ tasks }}.{{ provider_column }} = {{ prices }}.provider_key
            and coalesce({{ tasks }}.pricing_tier, 'standard') = {{ prices }}.pricing_tier
            and (
                {{ tasks }}.{{ model_column }} = {{ prices }}.model
                or {{ prices }}.is_provider_wide
            )
            and {{ tasks }}.started_at >= {{ prices }}.effective_from_at
            and (
                {{ prices }}.effective_until_at is null
                or {{ tasks }}.started_at < {{ prices }}.effective_until_at
            )
{%- endmacro -%}
