{#-
    Incremental with replace_changed_days: each run rebuilds the unsealed (tenant, day) pairs
    whose tasks changed (macros/incremental/replace_changed_days.sql) and keeps the others;
    sealed days (before detail_kept_from()) keep their figures, because retention has
    deleted their tasks. Never rebuilt from scratch (full_refresh false): that would lose
    the sealed days.
-#}
-- The days a build finds changed (is_incremental) are counted in:
-- depends_on: {{ ref('int_task_executions_counted_by_day') }}
{%- set first_open_date = first_unsealed_period('date') -%}
{#- (breakdown name, column of analytics.task_executions) -#}
{%- set breakdowns = [
    ('task_type', 'task_type'),
    ('model', 'model'),
    ('provider_account', 'provider_account_id'),
    ('agent', 'agent_id'),
    ('language', 'language'),
    ('complexity', 'complexity'),
] -%}
{#- How this mart's own rows give a tenant's day (macro tenant_days_changed). -#}
{%- set changed_days = {
    'row_date': 'date',
    'row_filter': "breakdown = 'task_type'",
    'tasks_counted': 'sum(total_tasks)',
} -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_changed_days',
        changed_days=changed_days,
        full_refresh=false,
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['tenant_id', 'id'], 'unique': true},
            {'columns': ['tenant_id', 'breakdown', 'date']},
        ],
    )
}}

with

task_executions as (
    select
        tenant_id,
        provider_used,
        {%- for name, column in breakdowns %}
        {{ column }},
        {%- endfor %}
        status,
        duration_ms,
        tokens_used,
        cost_actual,
        cost_baseline,
        savings,
        quality_score,
        is_priced,
        timestamp_start,
        created_at,
        _inputs_staged_at
    from {{ ref('task_executions') }}
    -- Older tasks belong to sealed days only.
    where timestamp_start >= {{ first_open_date }}
),

{% if is_incremental() %}

-- Only the tasks of the days whose tasks changed since the last build.
{{ task_executions_of_changed_days(changed_days) }}

{% endif %}

-- Figures of completed tasks only where the design counts them so (duration, savings);
-- cost covers every status, as in usage_analytics.
tasks_classified as (
    select
        tenant_id,
        provider_used,
        {%- for name, column in breakdowns %}
        {{ column }},
        {%- endfor %}
        tokens_used,
        cost_actual,
        quality_score,
        created_at,
        _inputs_staged_at,
        {{ utc_date('timestamp_start') }} as activity_date,
        case when status = 'completed' then 1 else 0 end as completed_count,
        case when is_priced then 1 else 0 end as priced_count,
        case when status = 'completed' then duration_ms end as completed_duration_ms,
        case when status = 'completed' then cost_actual end as completed_cost_actual,
        case when status = 'completed' then cost_baseline end as completed_cost_baseline,
        case when status = 'completed' then savings end as completed_savings
    from {{ 'task_executions_of_changed_days' if is_incremental() else 'task_executions' }}
),

-- Every breakdown in one scan: each grouping set keeps exactly one breakdown column.
breakdowns_aggregated as (
    select
        tenant_id,
        activity_date,
        provider_used,
        case
            {%- for name, column in breakdowns %}
            when grouping({{ column }}) = 0 then '{{ name }}'
            {%- endfor %}
        end as breakdown,
        coalesce(
            {%- for name, column in breakdowns %}
            case
                when grouping({{ column }}) = 0 then cast({{ column }} as {{ dbt.type_string() }})
            end
            {{- ',' if not loop.last }}
            {%- endfor %}
        ) as breakdown_value,
        count(*) as total_tasks,
        sum(completed_count) as completed_tasks,
        sum(priced_count) as priced_tasks,
        count(completed_duration_ms) as completed_timed_tasks,
        count(quality_score) as scored_tasks,
        sum(completed_duration_ms) as total_completed_duration_ms,
        sum(tokens_used) as total_tokens,
        sum(quality_score) as total_quality_score,
        sum(cost_actual) as total_cost_exact_usd,
        sum(completed_cost_actual) as completed_cost_exact_usd,
        sum(completed_cost_baseline) as completed_baseline_exact_usd,
        sum(completed_savings) as completed_savings_exact_usd,
        max(created_at) as created_at,
        max(_inputs_staged_at) as _inputs_staged_at
    from tasks_classified
    group by grouping sets (
        {%- for name, column in breakdowns %}
        (tenant_id, activity_date, provider_used, {{ column }})
        {{- ',' if not loop.last }}
        {%- endfor %}
    )
),

final as (
    select
        {{ surrogate_key([
            'tenant_id', 'activity_date', 'provider_used', 'breakdown', 'breakdown_value',
        ]) }} as id,
        tenant_id,
        activity_date as date,
        provider_used as provider,
        breakdown,
        breakdown_value,
        total_tasks,
        completed_tasks,
        total_tasks - completed_tasks as not_completed_tasks,
        priced_tasks,
        {{ floor_to_places(
            safe_divide('100 * cast(completed_tasks as numeric)', 'total_tasks'), 2
        ) }} as success_rate,
        completed_timed_tasks,
        cast(
            {{ floor_to_places(
                safe_divide('total_completed_duration_ms', 'completed_timed_tasks'), 0
            ) }} as bigint
        ) as avg_duration_ms,
        scored_tasks,
        {{ floor_to_places(safe_divide('total_quality_score', 'scored_tasks'), 2) }}
            as avg_quality_score,
        total_tokens,
        {{ floor_to_places('coalesce(total_cost_exact_usd, 0)', 2) }} as total_cost,
        {{ conservative_savings(
            'completed_savings_exact_usd', 'coalesce(completed_baseline_exact_usd, 0)'
        ) }} as completed_savings,
        total_cost_exact_usd,
        completed_cost_exact_usd,
        completed_baseline_exact_usd,
        completed_savings_exact_usd,
        total_completed_duration_ms,
        total_quality_score,
        created_at,
        _inputs_staged_at
    from breakdowns_aggregated
)

select * from final
