-- The tasks a build recomputes (is_incremental) also depend on this:
-- depends_on: {{ ref('base_router__task_executions') }}
{#- An incremental build reads the staged tasks and decisions of the tasks it recomputes
    only, each by its key: PostgreSQL pushes this neither into the ranking of decisions below
    nor into the joins, and would read all history. -#}
{%- set tasks_recomputed -%}
    select costed.tenant_id, costed.task_execution_id
    from int_task_executions_costed as costed
{%- endset %}

with

int_task_executions_costed as (
    select
        task_execution_id,
        tenant_id,
        provider_key,
        pricing_tier,
        status,
        cost_source,
        duration_ms,
        tokens_used,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        actual_cost_usd,
        has_token_split,
        is_priced,
        started_at,
        _inputs_staged_at
    {%- if is_incremental() %}
    {#- Planned for a third of all tasks, not for the few staged since: with that estimate
        (one task for the 1,388 of an hour at 1M) PostgreSQL re-ran the ranking of decisions
        below once per task, 135 s instead of 1 s. Each task is read by its key all the
        same. #}
    from {{ rows_of_task_keys(
        tasks_changed_since_last_build(false), ref('int_task_executions_costed'), 'costed'
    ) }}
    {%- else %}
    from {{ ref('int_task_executions_costed') }}
    {%- endif %}
),

stg_router__task_executions as (
    select
        tenant_id,
        task_execution_id,
        reported_baseline_cost_usd
    {%- if is_incremental() %}
    from {{ rows_of_task_keys(tasks_recomputed, ref('stg_router__task_executions'), 'executions') }}
    {%- else %}
    from {{ ref('stg_router__task_executions') }}
    {%- endif %}
),

stg_router__routing_decisions as (
    select
        routing_decision_id,
        tenant_id,
        task_execution_id,
        cost_estimates,
        decided_at,
        _loaded_at,
        _staged_at
    {%- if is_incremental() %}
    from {{ rows_of_task_keys(
        tasks_recomputed, ref('stg_router__routing_decisions'), 'decisions'
    ) }}
    {%- else %}
    from {{ ref('stg_router__routing_decisions') }}
    {%- endif %}
),

stg_router__tenants as (
    select
        tenant_id,
        default_provider_key,
        default_model,
        _staged_at
    from {{ ref('stg_router__tenants') }}
),

-- Every version of the task's decisions and of its tenant row, withdrawn and rejected ones
-- included: one that left staging changed the baseline, and its stamp tells the marts.
base_router__routing_decisions as (
    select
        tenant_id,
        task_execution_id,
        _staged_at
    {%- if is_incremental() %}
    from {{ rows_of_task_keys(
        tasks_recomputed, ref('base_router__routing_decisions'), 'decision_versions'
    ) }}
    {%- else %}
    from {{ ref('base_router__routing_decisions') }}
    {%- endif %}
),

base_router__tenants as (
    select
        tenant_id,
        _staged_at
    from {{ ref('base_router__tenants') }}
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

-- One decision per task (the design; a second one is an upstream slip that staging warns
-- about): the latest decided, so that a duplicate cannot raise the baseline.
decisions_ranked as (
    select
        tenant_id,
        task_execution_id,
        cost_estimates,
        row_number() over (
            partition by tenant_id, task_execution_id
            order by decided_at desc nulls last, _loaded_at desc, routing_decision_id desc
        ) as decision_rank
    from stg_router__routing_decisions
),

estimates_maximized as (
    select
        decisions_ranked.tenant_id,
        decisions_ranked.task_execution_id,
        (
            select max(cast(estimate.value as numeric))
            from jsonb_each(decisions_ranked.cost_estimates) as estimate
            where jsonb_typeof(estimate.value) = 'number'
        ) as estimates_baseline_usd
    from decisions_ranked
    where decisions_ranked.decision_rank = 1
),

decision_versions_stamped as (
    select
        tenant_id,
        task_execution_id,
        max(_staged_at) as decisions_staged_at
    from base_router__routing_decisions
    group by tenant_id, task_execution_id
),

tenant_versions_stamped as (
    select
        tenant_id,
        max(_staged_at) as tenant_staged_at
    from base_router__tenants
    group by tenant_id
),

tasks_joined_to_tenants as (
    select
        costed.*,
        tenants.default_provider_key,
        tenants.default_model,
        tenant_versions.tenant_staged_at
    from int_task_executions_costed as costed
    left join stg_router__tenants as tenants
        on costed.tenant_id = tenants.tenant_id
    left join tenant_versions_stamped as tenant_versions
        on costed.tenant_id = tenant_versions.tenant_id
),

-- Candidate price rows of the tenant's default provider in effect at started_at, for the
-- task's tier: the default model's row or the provider-wide row (only the provider-wide row
-- when the tenant set no default model). Same point-in-time rule as the costed model.
tasks_joined_to_default_prices as (
    {{ prices_in_effect_ranked(
        'tasks_joined_to_tenants', 'int_provider_prices_effective',
        provider_column='default_provider_key', model_column='default_model'
    ) }}
),

default_prices_chosen as (
    select
        tenant_id,
        task_execution_id,
        price_id
    from tasks_joined_to_default_prices
    where price_rank = 1
),

-- Conservative re-pricing: an un-split task on a row without cost_per_token takes the
-- lower of the input and output rates, so that the baseline is not overstated.
default_provider_costs_computed as (
    select
        tenant_tasks.tenant_id,
        tenant_tasks.task_execution_id,
        default_prices.price_id as default_price_id,
        default_prices._recorded_at as default_price_recorded_at,
        {{ task_cost_usd('tenant_tasks', 'default_prices', unsplit_rate='lower') }}
            as default_provider_baseline_usd
    from tasks_joined_to_tenants as tenant_tasks
    inner join default_prices_chosen as chosen
        on
            tenant_tasks.tenant_id = chosen.tenant_id
            and tenant_tasks.task_execution_id = chosen.task_execution_id
    inner join int_provider_prices_effective as default_prices
        on chosen.price_id = default_prices.price_id
),

baselines_joined as (
    select
        tenant_tasks.task_execution_id,
        tenant_tasks.tenant_id,
        tenant_tasks.provider_key,
        tenant_tasks.default_provider_key,
        tenant_tasks.default_model,
        default_costs.default_price_id,
        tenant_tasks.status,
        tenant_tasks.cost_source,
        tenant_tasks.actual_cost_usd,
        executions.reported_baseline_cost_usd,
        estimates.estimates_baseline_usd,
        default_costs.default_provider_baseline_usd,
        tenant_tasks.is_priced,
        tenant_tasks.started_at,
        greatest(
            tenant_tasks._inputs_staged_at,
            tenant_tasks.tenant_staged_at,
            decision_versions.decisions_staged_at,
            default_costs.default_price_recorded_at
        ) as _inputs_staged_at
    from tasks_joined_to_tenants as tenant_tasks
    left join stg_router__task_executions as executions
        on
            tenant_tasks.tenant_id = executions.tenant_id
            and tenant_tasks.task_execution_id = executions.task_execution_id
    left join estimates_maximized as estimates
        on
            tenant_tasks.tenant_id = estimates.tenant_id
            and tenant_tasks.task_execution_id = estimates.task_execution_id
    left join decision_versions_stamped as decision_versions
        on
            tenant_tasks.tenant_id = decision_versions.tenant_id
            and tenant_tasks.task_execution_id = decision_versions.task_execution_id
    left join default_provider_costs_computed as default_costs
        on
            tenant_tasks.tenant_id = default_costs.tenant_id
            and tenant_tasks.task_execution_id = default_costs.task_execution_id
),

-- The larger of the two candidates; on a tie the estimates.
baseline_sources_chosen as (
    select
        *,
        case
            when reported_baseline_cost_usd is not null then 'reported'
            when
                estimates_baseline_usd is not null
                and (
                    default_provider_baseline_usd is null
                    or estimates_baseline_usd >= default_provider_baseline_usd
                )
                then 'estimates'
            when default_provider_baseline_usd is not null then 'default_provider'
            else 'none'
        end as baseline_source
    from baselines_joined
),

baselines_chosen as (
    select
        *,
        case
            when not is_priced then null
            when baseline_source = 'reported' then reported_baseline_cost_usd
            when baseline_source = 'estimates' then estimates_baseline_usd
            when baseline_source = 'default_provider' then default_provider_baseline_usd
            else actual_cost_usd
        end as baseline_cost_usd
    from baseline_sources_chosen
),

final as (
    select
        task_execution_id,
        tenant_id,
        provider_key,
        default_provider_key,
        default_model,
        default_price_id,
        status,
        cost_source,
        baseline_source,
        actual_cost_usd,
        reported_baseline_cost_usd,
        estimates_baseline_usd,
        default_provider_baseline_usd,
        baseline_cost_usd,
        {{ trim_numeric_scale("baseline_cost_usd - actual_cost_usd") }} as savings_usd,
        is_priced as is_in_savings,
        started_at,
        _inputs_staged_at
    from baselines_chosen
)

select * from final
