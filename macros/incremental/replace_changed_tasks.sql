{#-
    The per-task intermediate tables (int_task_executions_costed, _with_savings) recompute
    only the tasks whose inputs changed since this model's last build: stamped after the
    newest `_inputs_staged_at` it holds (the newest stamp of any input it was built from;
    input stamps, not the build's clock, so that a price version a build recorded after it
    started is not taken for new by the next build):
    - a version of the task, of one of its routing decisions or of its tenant (the default
      provider) (re)staged since: new, withdrawn, restored or rejected, read from the base
      models, so that a record that left staging counts too (a withdrawn decision no longer
      sets the task's baseline, a withdrawn tenant row its default provider);
    - every task that started at or after the effective_from of a price version recorded
      since, of that version's provider or of a tenant whose default provider it is (the
      baseline re-prices a task at the default provider; a price of one provider changes
      neither the cost nor the baseline of any other task).
    The model's selection and the strategy read the same set, before anything is written, so
    they agree. A task is named by (tenant_id, task_execution_id): its id is unique within
    its tenant only.
-#}
{%- macro tasks_changed_since_last_build(planned_for_few=true) -%}
    {%- set last_built_query =
        '(select ' ~ built_from('_inputs_staged_at') ~ ' from ' ~ this ~ ')' -%}
    {#- planned_for_few: the watermark as a literal (stamp_literal), and the branches of the
        tenants staged and the prices recorded since only when there are some (most builds
        have none; each names a whole tenant's or provider's tasks), so that PostgreSQL plans
        for the few tasks staged since instead of a third of all of them. -#}
    {%- if planned_for_few -%}
        {%- set last_built = stamp_literal(last_built_query) -%}
        {%- set tenants_staged = rows_stamped_since(
            ref('base_router__tenants'), '_staged_at', last_built
        ) -%}
        {%- set prices_recorded = rows_stamped_since(
            ref('int_provider_prices_effective'), '_recorded_at', last_built
        ) -%}
    {%- else -%}
        {%- set last_built, tenants_staged, prices_recorded = last_built_query, true, true -%}
    {%- endif -%}
    select versions.tenant_id, versions.task_execution_id
    from {{ ref('base_router__task_executions') }} as versions
    where versions._staged_at > {{ last_built }}
    union
    select decisions.tenant_id, decisions.task_execution_id
    from {{ ref('base_router__routing_decisions') }} as decisions
    where decisions._staged_at > {{ last_built }}
    {%- if tenants_staged %}
    union
    select executions.tenant_id, executions.task_execution_id
    from {{ ref('stg_router__task_executions') }} as executions
    where
        executions.tenant_id in (
            select tenants.tenant_id
            from {{ ref('base_router__tenants') }} as tenants
            where tenants._staged_at > {{ last_built }}
        )
    {%- endif %}
    {%- if prices_recorded %}
    union
    {#- Uncorrelated: the few providers repriced since, each from its earliest new version,
        joined to the tasks once (a per-task subquery reran the price and tenant views for
        every staged task of every build). #}
    select executions.tenant_id, executions.task_execution_id
    from {{ ref('stg_router__task_executions') }} as executions
    left join {{ ref('stg_router__tenants') }} as tenants
        on executions.tenant_id = tenants.tenant_id
    inner join (
        select
            prices.provider_key,
            min(prices.effective_from_at) as repriced_from_at
        from {{ ref('int_provider_prices_effective') }} as prices
        where prices._recorded_at > {{ last_built }}
        group by prices.provider_key
    ) as repriced
        on
            executions.started_at >= repriced.repriced_from_at
            and repriced.provider_key in (executions.provider_key, tenants.default_provider_key)
    {#- Uncorrelated, so PostgreSQL tests it once before reading any task: most builds record
        no price, and the join above would otherwise scan every staged task to find none. #}
    where exists (
        select
        from {{ ref('int_provider_prices_effective') }} as prices
        where prices._recorded_at > {{ last_built }}
    )
    {%- endif %}
{%- endmacro -%}


{#-
    Incremental strategy `replace_changed_tasks`: in the model's transaction, delete every
    row of a task tasks_changed_since_last_build() names, then insert the selected rows (a
    task no longer staged has none: it is gone).
-#}
{%- macro get_incremental_replace_changed_tasks_sql(arg_dict) -%}
    delete from {{ arg_dict['target_relation'] }}
    where (tenant_id, task_execution_id) in ({{ tasks_changed_since_last_build() }});

    {{ get_incremental_append_sql(arg_dict) }}
{%- endmacro -%}
