-- The tasks a build recomputes (is_incremental) also depend on these:
-- depends_on: {{ ref('base_router__task_executions') }}
-- depends_on: {{ ref('base_router__routing_decisions') }}
-- depends_on: {{ ref('base_router__tenants') }}
-- depends_on: {{ ref('stg_router__tenants') }}

with

stg_router__task_executions as (
    select
        task_execution_id,
        tenant_id,
        provider_key,
        model,
        pricing_tier,
        status,
        duration_ms,
        tokens_used,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        reported_cost_usd,
        has_token_split,
        started_at,
        _staged_at
    {%- if is_incremental() %}
    {#- Planned for a third of all tasks, not for the few staged since: with that estimate
        (a handful of tasks for the 33,333 of a day at 1M) PostgreSQL chose nested loops
        that took 100 s instead of 2 s. Each task is read by its key all the same. #}
    from {{ rows_of_task_keys(
        tasks_changed_since_last_build(false), ref('stg_router__task_executions'), 'executions'
    ) }}
    {%- else %}
    from {{ ref('stg_router__task_executions') }}
    {%- endif %}
),

int_provider_prices_effective as (
    select
        price_id,
        provider_key,
        model,
        pricing_tier,
        cost_per_token_usd,
        input_cost_per_token_usd,
        output_cost_per_token_usd,
        cache_read_cost_per_token_usd,
        cache_write_cost_per_token_usd,
        cost_per_minute_usd,
        cost_per_request_usd,
        is_provider_wide,
        effective_from_at,
        effective_until_at,
        _recorded_at
    from {{ ref('int_provider_prices_effective') }}
),

-- Candidate price rows: same provider and tier, the task's model or provider-wide, and
-- started_at in [effective_from_at, effective_until_at). A range join on the small price table.
tasks_joined_to_prices as (
    {{ prices_in_effect_ranked(
        'stg_router__task_executions', 'int_provider_prices_effective',
        provider_column='provider_key', model_column='model'
    ) }}
),

-- Rank 1: a model-specific row before the provider-wide row, then the latest effective_from.
prices_chosen as (
    select
        tasks_joined_to_prices.tenant_id,
        tasks_joined_to_prices.task_execution_id,
        prices.price_id,
        prices.cost_per_token_usd,
        prices.input_cost_per_token_usd,
        prices.output_cost_per_token_usd,
        prices.cache_read_cost_per_token_usd,
        prices.cache_write_cost_per_token_usd,
        prices.cost_per_minute_usd,
        prices.cost_per_request_usd,
        prices._recorded_at
    from tasks_joined_to_prices
    inner join int_provider_prices_effective as prices
        on tasks_joined_to_prices.price_id = prices.price_id
    where tasks_joined_to_prices.price_rank = 1
),

-- The components of macros task_token_cost_usd / task_request_cost_usd /
-- task_time_cost_usd: a component the price row does not set contributes 0, every component
-- is null when no price row is in effect. An un-split task on a row with only input and
-- output rates is priced at the higher of the two: an actual cost is never understated.
components_computed as (
    select
        executions.task_execution_id,
        executions.tenant_id,
        chosen.price_id,
        executions.provider_key,
        executions.model,
        executions.pricing_tier,
        executions.status,
        executions.duration_ms,
        executions.tokens_used,
        executions.input_tokens,
        executions.output_tokens,
        executions.cache_read_tokens,
        executions.cache_write_tokens,
        executions.reported_cost_usd,
        executions.has_token_split,
        executions.started_at,
        greatest(executions._staged_at, chosen._recorded_at) as _inputs_staged_at,
        {{ task_token_cost_usd('executions', 'chosen', unsplit_rate='higher') }}
            as untrimmed_token_cost_usd,
        {{ task_request_cost_usd('chosen') }} as untrimmed_request_cost_usd,
        {{ task_time_cost_usd('executions', 'chosen') }} as untrimmed_time_cost_usd,
        chosen.price_id is not null as has_price_in_effect,
        coalesce(
            chosen.price_id is not null
            and not executions.has_token_split
            and chosen.cost_per_token_usd is null
            and greatest(chosen.input_cost_per_token_usd, chosen.output_cost_per_token_usd)
            is not null,
            false
        ) as is_token_rate_assumed
    from stg_router__task_executions as executions
    left join prices_chosen as chosen
        on
            executions.tenant_id = chosen.tenant_id
            and executions.task_execution_id = chosen.task_execution_id
),

-- Trailing zeros that multiplication and division add are trimmed: same exact value.
costs_chosen as (
    select
        *,
        {{ trim_numeric_scale('untrimmed_token_cost_usd') }} as token_cost_usd,
        {{ trim_numeric_scale('untrimmed_request_cost_usd') }} as request_cost_usd,
        {{ trim_numeric_scale('untrimmed_time_cost_usd') }} as time_cost_usd,
        {{ trim_numeric_scale(
            'untrimmed_token_cost_usd + untrimmed_request_cost_usd + untrimmed_time_cost_usd'
        ) }} as computed_cost_usd,
        case
            when reported_cost_usd is not null then 'reported'
            when has_price_in_effect then 'computed'
            else 'unpriced'
        end as cost_source
    from components_computed
),

final as (
    select
        task_execution_id,
        tenant_id,
        price_id,
        provider_key,
        model,
        pricing_tier,
        status,
        cost_source,
        duration_ms,
        tokens_used,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        token_cost_usd,
        request_cost_usd,
        time_cost_usd,
        computed_cost_usd,
        reported_cost_usd,
        has_price_in_effect,
        has_token_split,
        is_token_rate_assumed,
        started_at,
        _inputs_staged_at,
        coalesce(reported_cost_usd, computed_cost_usd) as actual_cost_usd,
        cost_source <> 'unpriced' as is_priced
    from costs_chosen
)

select * from final
