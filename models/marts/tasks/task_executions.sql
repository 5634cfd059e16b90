-- depends_on: {{ ref('stg_router__load_withdrawals') }}
{#- The first index carries the input stamp so that int_task_executions_counted_by_day, which
    counts every task by tenant and day in every build, reads the index only (a tenth of the
    table). The second is the design's idx_task_exec_cost, wide enough that the ROI
    calculator, the savings counter, the provider comparison and provider_performance's
    re-read of the periods a run changed read the index only. The one by status carries
    what provider_performance's weekly and monthly percentiles read of their completed tasks
    (provider, duration): that read is an index-only scan too, of a tenth of the pages of the
    month's partition. One partition per UTC month of timestamp_start (macros/partitions/):
    a unique index of a partitioned table must include its partition key, so the unique
    index is (tenant_id, id, timestamp_start) and the data test unique_combination_of_columns
    keeps (tenant_id, id) unique. Every index leads with tenant_id (apply_tenant_isolation),
    the build stamp's too: the watermark is read tenant by tenant (newest_built_stamp), a
    run's tests of the rows it built skip-scan it (PostgreSQL 18). The monitoring's data lag
    reads the newest input landing of each tenant from the last one
    (routing_analytics/operations/check.py). -#}
{{
    config(
        materialized='incremental',
        unique_key=['tenant_id', 'id'],
        incremental_strategy='delete_insert_by_month',
        on_schema_change='append_new_columns',
        meta={'partitioned_by_month': 'timestamp_start'},
        pre_hook="{{ partition_by_month_in_place(this) }}",
        post_hook="{{ name_month_partitions(this) }}",
        indexes=[
            {'columns': ['tenant_id', 'timestamp_start', '_inputs_staged_at']},
            {'columns': [
                'tenant_id', 'timestamp_start', 'status', 'is_priced', 'provider_used',
                'duration_ms', 'cost_actual', 'cost_baseline', 'savings', 'tokens_used',
                'quality_score', 'created_at', '_inputs_staged_at',
            ]},
            {'columns': ['tenant_id', 'provider_used']},
            {'columns': ['tenant_id', 'task_type', 'provider_used']},
            {'columns': [
                'tenant_id', 'status', 'timestamp_start', 'provider_used', 'duration_ms',
            ]},
            {'columns': ['tenant_id', 'id', 'timestamp_start'], 'unique': true},
            {'columns': ['tenant_id', '_inputs_staged_at']},
            {'columns': ['tenant_id', '_inputs_loaded_at']},
        ],
    )
}}

with

-- Not materialized: each reference reads the table through its indexes (a CTE that is
-- referenced twice would otherwise be copied whole first).
stg_router__task_executions as not materialized (
    select
        task_execution_id,
        tenant_id,
        task_id,
        agent_id,
        provider_account_id,
        task_type,
        provider_key,
        model,
        pricing_tier,
        status,
        language,
        complexity,
        error_message,
        metadata,
        duration_ms,
        tokens_used,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        quality_score,
        started_at,
        ended_at,
        _loaded_at,
        _staged_at
    from {{ ref('stg_router__task_executions') }}
),

int_task_executions_costed as (
    select
        tenant_id,
        task_execution_id,
        price_id,
        cost_source,
        token_cost_usd,
        request_cost_usd,
        time_cost_usd,
        is_token_rate_assumed,
        is_priced
    from {{ ref('int_task_executions_costed') }}
),

int_task_executions_with_savings as (
    select
        tenant_id,
        task_execution_id,
        default_price_id,
        baseline_source,
        actual_cost_usd,
        baseline_cost_usd,
        savings_usd,
        is_in_savings,
        _inputs_staged_at
    from {{ ref('int_task_executions_with_savings') }}
),

stg_router__routing_decisions as not materialized (
    select
        tenant_id,
        task_execution_id,
        _loaded_at,
        _staged_at
    from {{ ref('stg_router__routing_decisions') }}
),

stg_router__tenants as not materialized (
    select
        tenant_id,
        _loaded_at,
        _staged_at
    from {{ ref('stg_router__tenants') }}
),

int_provider_prices_effective as not materialized (
    select
        price_id,
        effective_from_at,
        _loaded_at,
        _recorded_at
    from {{ ref('int_provider_prices_effective') }}
),

{% if is_incremental() %}

{#- Builds stamp what they write (_staged_at, a price version's _recorded_at): whatever a
    later build wrote than the newest input this mart holds is new to it. No clock of the
    landings is involved, so a load that committed late is picked up like any other. A
    literal, so that PostgreSQL plans for the few rows staged since. -#}
{%- set built_from_at = stamp_literal(newest_built_stamp('_inputs_staged_at')) %}
{#- Most builds record no price and stage no tenant: their branches below, which name every
    task of a provider or a tenant, are then left out, so that PostgreSQL plans for the few
    tasks staged since (macro rows_stamped_since). -#}
{%- set prices_recorded = rows_stamped_since(
    ref('int_provider_prices_effective'), '_recorded_at', built_from_at
) %}
{%- set tenants_staged = rows_stamped_since(
    ref('stg_router__tenants'), '_staged_at', built_from_at
) %}
{#- After a withdrawal or a restore, the staged tasks this mart lacks (`loads
    withdraw` removed them from the live marts) are built again. -#}
{%- set loads_withdrawn_or_restored = loads_withdrawn_or_restored_since(built_from_at) %}
{%- if prices_recorded %}

-- A price version recorded since can change the price of every task that started on or
-- after its effective_from (a new row also ends the open-ended row before it).
repricing_since as (
    select min(prices.effective_from_at) as reprice_started_since_at
    from int_provider_prices_effective as prices
    where prices._recorded_at > {{ built_from_at }}
),
{%- endif %}
{%- if tenants_staged %}

tenants_changed as (
    select tenants.tenant_id
    from stg_router__tenants as tenants
    where tenants._staged_at > {{ built_from_at }}
),
{%- endif %}

tasks_to_rebuild as (
    select
        executions.tenant_id,
        executions.task_execution_id
    from stg_router__task_executions as executions
    where executions._staged_at > {{ built_from_at }}
    {%- if prices_recorded %}
    union
    select
        executions.tenant_id,
        executions.task_execution_id
    from stg_router__task_executions as executions
    cross join repricing_since
    where executions.started_at >= repricing_since.reprice_started_since_at
    {%- endif %}
    {%- if tenants_staged %}
    union
    select
        executions.tenant_id,
        executions.task_execution_id
    from stg_router__task_executions as executions
    where executions.tenant_id in (select tenants_changed.tenant_id from tenants_changed)
    {%- endif %}
    union
    select
        decisions.tenant_id,
        decisions.task_execution_id
    from stg_router__routing_decisions as decisions
    where decisions._staged_at > {{ built_from_at }}
    {%- if loads_withdrawn_or_restored %}
    union
    select
        executions.tenant_id,
        executions.task_execution_id
    from stg_router__task_executions as executions
    where not exists (
        select
        from {{ this }} as built
        where
            built.tenant_id = executions.tenant_id
            and built.id = executions.task_execution_id
    )
    {%- endif %}
),

{% endif %}

tasks_joined as (
    select
        executions.task_execution_id,
        executions.tenant_id,
        executions.task_id,
        executions.agent_id,
        executions.task_type,
        executions.provider_key,
        executions.provider_account_id,
        executions.model,
        executions.pricing_tier,
        executions.status,
        executions.error_message,
        executions.language,
        executions.complexity,
        executions.metadata,
        costed.price_id,
        savings.default_price_id,
        costed.cost_source,
        savings.baseline_source,
        executions.duration_ms,
        executions.tokens_used,
        executions.input_tokens,
        executions.output_tokens,
        executions.cache_read_tokens,
        executions.cache_write_tokens,
        savings.actual_cost_usd,
        savings.baseline_cost_usd,
        savings.savings_usd,
        costed.token_cost_usd,
        costed.request_cost_usd,
        costed.time_cost_usd,
        executions.quality_score,
        costed.is_priced,
        costed.is_token_rate_assumed,
        savings.is_in_savings,
        executions.started_at,
        executions.ended_at,
        executions._loaded_at,
        decisions.decisions_loaded_at is not null as has_routing_decision,
        greatest(
            executions._loaded_at,
            decisions.decisions_loaded_at,
            tenants._loaded_at,
            prices._loaded_at,
            default_prices._loaded_at
        ) as inputs_loaded_at,
        greatest(
            executions._staged_at,
            decisions.decisions_staged_at,
            tenants._staged_at,
            prices._recorded_at,
            default_prices._recorded_at,
            savings._inputs_staged_at
        ) as inputs_staged_at
    from stg_router__task_executions as executions
    inner join int_task_executions_costed as costed
        on
            executions.tenant_id = costed.tenant_id
            and executions.task_execution_id = costed.task_execution_id
    inner join int_task_executions_with_savings as savings
        on
            executions.tenant_id = savings.tenant_id
            and executions.task_execution_id = savings.task_execution_id
    -- The newest landing and staging among the task's decisions (by its index).
    left join lateral (
        select
            max(task_decisions._loaded_at) as decisions_loaded_at,
            max(task_decisions._staged_at) as decisions_staged_at
        from stg_router__routing_decisions as task_decisions
        where
            task_decisions.tenant_id = executions.tenant_id
            and task_decisions.task_execution_id = executions.task_execution_id
    ) as decisions on true
    left join stg_router__tenants as tenants
        on executions.tenant_id = tenants.tenant_id
    left join int_provider_prices_effective as prices
        on costed.price_id = prices.price_id
    left join int_provider_prices_effective as default_prices
        on savings.default_price_id = default_prices.price_id
    {% if is_incremental() %}
    where
        (executions.tenant_id, executions.task_execution_id) in (
            select
                tasks_to_rebuild.tenant_id,
                tasks_to_rebuild.task_execution_id
            from tasks_to_rebuild
        )
    {% endif %}
),

final as (
    select
        task_execution_id as id,
        tenant_id,
        task_id,
        agent_id,
        task_type,
        provider_key as provider_used,
        provider_account_id,
        model,
        pricing_tier,
        status,
        error_message,
        language,
        complexity,
        metadata,
        price_id,
        default_price_id,
        cost_source,
        baseline_source,
        duration_ms,
        tokens_used,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        actual_cost_usd as cost_actual,
        baseline_cost_usd as cost_baseline,
        savings_usd as savings,
        token_cost_usd,
        request_cost_usd,
        time_cost_usd,
        quality_score,
        is_priced,
        is_token_rate_assumed,
        is_in_savings,
        has_routing_decision,
        started_at as timestamp_start,
        ended_at as timestamp_end,
        _loaded_at as created_at,
        inputs_loaded_at as _inputs_loaded_at,
        inputs_staged_at as _inputs_staged_at
    from tasks_joined
)

select * from final
