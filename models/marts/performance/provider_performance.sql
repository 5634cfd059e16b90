{#-
    Incremental with replace_changed_periods: each run rebuilds the unsealed periods that
    contain a (tenant, day) whose tasks changed, and the global periods of those days
    (macros/incremental/replace_changed_days.sql); it keeps the other periods, and the sealed
    ones (before detail_kept_from()) whose tasks retention has deleted. Never rebuilt from
    scratch (full_refresh false): that would lose the sealed periods. A run reads the tasks
    of the changed days only: their hours and days come from those tasks; a week's or
    month's counts and sums add up its days' rows (this run's for the days it read, the
    mart's own for the others, unchanged), and its percentiles come from the durations of
    its completed tasks, read by an index. Of its weeks and months a run reads only those
    durations (exact percentiles need every one), not every task's figures.
-#}
-- The days a build finds changed (is_incremental) are counted in:
-- depends_on: {{ ref('int_task_executions_counted_by_day') }}
{%- set first_open_moment = first_unsealed_period('timestamp') -%}

{#- (aggregation_level, date part): periods are UTC (dbt sessions run with PGTZ=UTC, a data
    test checks the alignment); a week starts on Monday (ISO), a month on the 1st. -#}
{%- set levels = [
    ('hourly', 'hour'),
    ('daily', 'day'),
    ('weekly', 'week'),
    ('monthly', 'month'),
] -%}
{%- set min_tenants = var('min_tenants_for_global_metrics', 3) -%}
{%- set global_level = var('global_metrics_level', 'daily') -%}
{%- if global_level not in levels | map(attribute=0) | list -%}
    {{ exceptions.raise_compiler_error(
        "global_metrics_level must be one of hourly, daily, weekly, monthly, got " ~ global_level
    ) }}
{%- endif -%}
{%- if min_tenants is not integer or min_tenants < 1 -%}
    {{ exceptions.raise_compiler_error(
        "min_tenants_for_global_metrics must be a whole number >= 1, got " ~ min_tenants
    ) }}
{%- endif %}
{%- set global_datepart = dict(levels)[global_level] -%}
{#- The levels bucketed from the tasks read: all of them in a full build; a run's hours
    and days only (its weeks and months add up days). -#}
{%- set task_levels = levels[:2] if is_incremental() else levels -%}
{%- set long_levels = levels[2:] -%}
{#- The columns of a period's figures that add up from its days', in the order of
    tenants_counted; the counts stay bigint. -#}
{%- set long_period_counts = [
    'total_executions', 'successful_executions', 'failed_executions', 'timeout_executions',
    'cancelled_executions', 'timed_executions', 'executions_with_tokens', 'priced_executions',
    'completed_priced_executions', 'scored_executions',
] -%}
{%- set long_period_sums = long_period_counts + [
    'total_completed_duration_ms', 'total_tokens', 'total_cost_exact_usd',
    'completed_cost_exact_usd', 'total_quality_score',
] -%}
{#- A daily row that weeks and months can add up: built with the sums of tokens and quality
    (a row built before they existed has them null: its day counts as changed, once). -#}
{%- set adds_up -%}
    (total_tokens is not null or executions_with_tokens = 0)
    and (total_quality_score is not null or scored_executions = 0)
{%- endset -%}
{#- How this mart's own rows give a tenant's day (macro tenant_days_changed). -#}
{%- set changed_days = {
    'row_date': "cast(period_start at time zone 'UTC' as date)",
    'row_filter': "aggregation_level = 'daily' and tenant_id is not null",
    'tasks_counted': 'case when bool_and(' ~ adds_up ~ ') then sum(total_executions) end',
} -%}
{#- The pre-hook adds the columns a mart built before them lacks before the model's query
    reads them from the mart (dbt's append_new_columns adds them only after it). Only then:
    an alter table locks out the mart's readers until the model commits, even when it adds
    nothing. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_changed_periods',
        changed_days=changed_days,
        global_datepart=global_datepart,
        full_refresh=false,
        on_schema_change='append_new_columns',
        pre_hook=(
            '{% if not built_has_columns(["total_tokens", "total_quality_score"]) %}'
            'alter table if exists {{ this }}'
            ' add column if not exists total_tokens numeric,'
            ' add column if not exists total_quality_score numeric'
            '{% endif %}'
        ),
        indexes=[
            {'columns': ['tenant_id', 'provider', 'period_start']},
            {'columns': ['tenant_id', 'period_start']},
            {'columns': ['tenant_id', 'aggregation_level', 'period_start']},
            {'columns': ['tenant_id', 'id'], 'unique': true},
        ],
    )
}}

with

task_executions as (
    select
        tenant_id,
        provider_used,
        status,
        duration_ms,
        tokens_used,
        cost_actual,
        quality_score,
        timestamp_start,
        created_at,
        _inputs_staged_at
    from {{ ref('task_executions') }}
    -- Older tasks belong to sealed periods only.
    where timestamp_start >= {{ first_open_moment }}
),

{% if is_incremental() %}

-- The ranges whose periods this build re-builds: those of the days whose tasks changed.
ranges_changed as (
    {{ period_ranges_changed(global_datepart, changed_days) }}
),

-- The first and last UTC day of each changed span (changed_end is exclusive): a tenant's
-- changed day; a global row's day, or the whole period of a global row that no longer adds
-- up.
spans_changed as (
    select
        tenant_id,
        {{ utc_date('changed_start') }} as first_date,
        {{ utc_date("changed_end - interval '1 microsecond'") }} as last_date
    from ranges_changed
),

-- The (tenant, day) pairs whose tasks this build reads: a tenant's changed days, and for a
-- global span the days of every tenant with tasks then. Read per pair by the index on
-- (tenant_id, timestamp_start), the tasks cost what the changed days hold, not what the
-- mart holds.
days_read as (
    select
        tenant_id,
        {{ date_series('first_date', 'last_date') }} as activity_date
    from spans_changed
    where tenant_id is not null
    union
    select
        counted.tenant_id,
        counted.activity_date
    from spans_changed
    inner join {{ ref('int_task_executions_counted_by_day') }} as counted
        on
            spans_changed.first_date <= counted.activity_date
            and spans_changed.last_date >= counted.activity_date
    where spans_changed.tenant_id is null
),

-- Every task of those days.
task_executions_of_days_read as (
    {{ rows_of_tenant_days('days_read', 'task_executions', 'timestamp_start') }}
),

{% endif %}

-- What each metric covers, decided per task (see the model's description): durations only
-- of completed tasks (a timeout's duration is the timeout, a cancelled task's the moment it
-- was cancelled); tokens, cost and quality of every task that has a value. Narrow rows keep
-- the one big sort below cheap.
tasks_classified as (
    select
        tenant_id,
        provider_used,
        timestamp_start,
        created_at,
        tokens_used,
        cost_actual,
        quality_score,
        _inputs_staged_at,
        case when status = 'completed' then 1 else 0 end as completed_count,
        case when status = 'completed' then 0 else 1 end as not_completed_count,
        case when status = 'timeout' then 1 else 0 end as timeout_count,
        case when status = 'cancelled' then 1 else 0 end as cancelled_count,
        case when status = 'completed' then duration_ms end as completed_duration_ms,
        case when status = 'completed' then cost_actual end as completed_cost_actual
    from {{ 'task_executions_of_days_read' if is_incremental() else 'task_executions' }}
),

-- Every task once per aggregation level it is bucketed at, in the period that contains its
-- start (one scan).
tasks_bucketed as (
    select
        periods.aggregation_level,
        executions.provider_used,
        executions.tenant_id,
        periods.period_start,
        executions.created_at,
        executions.completed_count,
        executions.not_completed_count,
        executions.timeout_count,
        executions.cancelled_count,
        executions.completed_duration_ms,
        executions.completed_cost_actual,
        executions.tokens_used,
        executions.cost_actual,
        executions.quality_score,
        executions._inputs_staged_at
    from tasks_classified as executions
    cross join lateral (
        values
        {%- for level, datepart in task_levels %}
        ('{{ level }}', {{ dbt.date_trunc(datepart, 'executions.timestamp_start') }})
        {{- ',' if not loop.last }}
        {%- endfor %}
    ) as periods (aggregation_level, period_start)
),

-- Per tenant and across tenants in one pass. Every figure comes straight from the tasks of
-- the period: percentiles are never derived from smaller periods, and the averages are
-- taken from exact sums and counts in the last step.
periods_aggregated as (
    select
        aggregation_level,
        provider_used,
        period_start,
        tenant_id,
        grouping(tenant_id) = 1 as is_global,
        count(*) as total_executions,
        sum(completed_count) as successful_executions,
        sum(not_completed_count) as failed_executions,
        sum(timeout_count) as timeout_executions,
        sum(cancelled_count) as cancelled_executions,
        count(completed_duration_ms) as timed_executions,
        count(tokens_used) as executions_with_tokens,
        count(cost_actual) as priced_executions,
        count(completed_cost_actual) as completed_priced_executions,
        count(quality_score) as scored_executions,
        sum(completed_duration_ms) as total_completed_duration_ms,
        sum(tokens_used) as total_tokens,
        sum(cost_actual) as total_cost_exact_usd,
        sum(completed_cost_actual) as completed_cost_exact_usd,
        sum(quality_score) as total_quality_score,
        {{ percentile_disc(0.5, 'completed_duration_ms') }} as p50_duration_ms,
        {{ percentile_disc(0.95, 'completed_duration_ms') }} as p95_duration_ms,
        {{ percentile_disc(0.99, 'completed_duration_ms') }} as p99_duration_ms,
        max(created_at) as created_at,
        max(_inputs_staged_at) as _inputs_staged_at
    from tasks_bucketed
    group by grouping sets (
        (aggregation_level, provider_used, period_start, tenant_id),
        (aggregation_level, provider_used, period_start)
    )
),

-- A global row's tenants are the per-tenant rows of its provider and period (cheaper than a
-- count(distinct) over the tasks).
tenants_counted as (
    select
        aggregation_level,
        provider_used,
        period_start,
        tenant_id,
        is_global,
        total_executions,
        successful_executions,
        failed_executions,
        timeout_executions,
        cancelled_executions,
        timed_executions,
        executions_with_tokens,
        priced_executions,
        completed_priced_executions,
        scored_executions,
        total_completed_duration_ms,
        total_tokens,
        total_cost_exact_usd,
        completed_cost_exact_usd,
        total_quality_score,
        p50_duration_ms,
        p95_duration_ms,
        p99_duration_ms,
        created_at,
        _inputs_staged_at,
        case
            when is_global
                then sum(case when is_global then 0 else 1 end) over (
                    partition by aggregation_level, provider_used, period_start
                )
            else 1
        end as contributing_tenants
    from periods_aggregated
),

{% if is_incremental() %}

-- The weeks and months this build re-builds: those of each tenant's changed days, and the
-- global rows' periods at the global level when that is weeks or months.
long_periods_changed as (
    {%- for level, datepart in long_levels %}
    {%- if not loop.first %}
    union
    {%- endif %}
    select
        tenant_id,
        '{{ level }}' as aggregation_level,
        {{ dbt.date_trunc(datepart, 'changed_start') }} as period_start,
        {{ dbt.dateadd(datepart, 1, dbt.date_trunc(datepart, 'changed_start')) }} as period_end
    from ranges_changed
    {%- if level != global_level %}
    where tenant_id is not null
    {%- endif %}
    {%- endfor %}
),

-- The per-tenant daily figures of the days in those periods: this build's of the days it
-- read; the mart's own of the other days, which did not change (macro tenant_days_changed),
-- so they are what a re-build would give.
daily_rows as (
    select
        provider_used,
        tenant_id,
        period_start,
        {%- for column in long_period_sums %}
        {{ column }},
        {%- endfor %}
        created_at,
        _inputs_staged_at
    from periods_aggregated
    where aggregation_level = 'daily' and not is_global
    union all
    select
        built.provider as provider_used,
        built.tenant_id,
        built.period_start,
        {%- for column in long_period_sums %}
        built.{{ column }},
        {%- endfor %}
        built.created_at,
        built._inputs_staged_at
    from {{ this }} as built
    where
        built.aggregation_level = 'daily'
        and built.tenant_id is not null
        and exists (
            select
            from long_periods_changed as changed
            where
                (changed.tenant_id = built.tenant_id or changed.tenant_id is null)
                and built.period_start >= changed.period_start
                and built.period_start < changed.period_end
        )
        and not exists (
            select
            from days_read
            where
                days_read.tenant_id = built.tenant_id
                and days_read.activity_date = {{ utc_date('built.period_start') }}
        )
),

-- A week's or month's counts and sums, added up from its days (exact: sums of sums).
long_periods_summed as (
    select
        changed.aggregation_level,
        daily.provider_used,
        changed.period_start,
        changed.tenant_id,
        changed.tenant_id is null as is_global,
        {%- for column in long_period_sums %}
        {%- if column in long_period_counts %}
        cast(sum(daily.{{ column }}) as bigint) as {{ column }},
        {%- else %}
        sum(daily.{{ column }}) as {{ column }},
        {%- endif %}
        {%- endfor %}
        max(daily.created_at) as created_at,
        max(daily._inputs_staged_at) as _inputs_staged_at,
        count(distinct daily.tenant_id) as contributing_tenants
    from long_periods_changed as changed
    inner join daily_rows as daily
        on
            (changed.tenant_id = daily.tenant_id or changed.tenant_id is null)
            and changed.period_start <= daily.period_start
            and changed.period_end > daily.period_start
    group by changed.aggregation_level, daily.provider_used, changed.period_start, changed.tenant_id
),

-- A week's or month's percentiles, from the durations of its completed tasks (never from
-- smaller periods), per provider: a tenant's read through an index that leads with
-- tenant_id; a global period's (weeks or months as the global level only) from every
-- tenant's.
long_periods_ranked as (
    {%- set global_is_long = global_level in long_levels | map(attribute=0) -%}
    {%- for scope in ['tenant', 'global'] if scope == 'tenant' or global_is_long %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        changed.tenant_id,
        changed.aggregation_level,
        changed.period_start,
        ranked.provider_used,
        ranked.p50_duration_ms,
        ranked.p95_duration_ms,
        ranked.p99_duration_ms
    from long_periods_changed as changed
    inner join lateral (
        select
            period_tasks.provider_used,
            {{ percentile_disc(0.5, 'period_tasks.duration_ms') }} as p50_duration_ms,
            {{ percentile_disc(0.95, 'period_tasks.duration_ms') }} as p95_duration_ms,
            {{ percentile_disc(0.99, 'period_tasks.duration_ms') }} as p99_duration_ms
        from {{ ref('task_executions') }} as period_tasks
        where
            period_tasks.timestamp_start >= changed.period_start
            and period_tasks.timestamp_start < changed.period_end
            and period_tasks.status = 'completed'
            {%- if scope == 'tenant' %}
            and period_tasks.tenant_id = changed.tenant_id
            {%- endif %}
        group by period_tasks.provider_used
    ) as ranked on true
    where changed.tenant_id is {{ 'not null' if scope == 'tenant' else 'null' }}
    {%- endfor %}
),

-- Every period's figures: the hours and days from their tasks, the weeks and months added
-- up.
periods_counted as (
    select *
    from tenants_counted
    union all
    select
        summed.aggregation_level,
        summed.provider_used,
        summed.period_start,
        summed.tenant_id,
        summed.is_global,
        {%- for column in long_period_sums %}
        summed.{{ column }},
        {%- endfor %}
        ranked.p50_duration_ms,
        ranked.p95_duration_ms,
        ranked.p99_duration_ms,
        summed.created_at,
        summed._inputs_staged_at,
        summed.contributing_tenants
    from long_periods_summed as summed
    left join long_periods_ranked as ranked
        on
            summed.aggregation_level = ranked.aggregation_level
            and summed.period_start = ranked.period_start
            and summed.provider_used = ranked.provider_used
            and summed.tenant_id is not distinct from ranked.tenant_id
),

{% endif %}

-- A global row only from enough tenants that no tenant's figures can be read off it, and at
-- one level only: with global rows at two levels, a day minus its published hours would
-- give the hours that were held back (the differencing attack).
global_rows_filtered as (
    select *
    from {{ 'periods_counted' if is_incremental() else 'tenants_counted' }}
    where
        not is_global
        or (
            contributing_tenants >= {{ min_tenants }}
            and aggregation_level = '{{ global_level }}'
        )
),

final as (
    select
        {{ surrogate_key([
            'aggregation_level',
            timestamp_diff_ms(
                "cast('1970-01-01 00:00:00+00' as timestamp with time zone)", 'period_start'
            ),
            'provider_used',
            'tenant_id',
        ]) }} as id,
        provider_used as provider,
        tenant_id,
        period_start,
        case aggregation_level
            {%- for level, datepart in levels %}
            when '{{ level }}' then {{ dbt.dateadd(datepart, 1, 'period_start') }}
            {%- endfor %}
        end as period_end,
        aggregation_level,
        total_executions,
        successful_executions,
        failed_executions,
        timeout_executions,
        cancelled_executions,
        {{ floor_to_places(
            safe_divide('100 * cast(successful_executions as numeric)', 'total_executions'), 2
        ) }} as success_rate,
        timed_executions,
        cast(
            {{ floor_to_places(safe_divide('total_completed_duration_ms', 'timed_executions'), 0) }}
            as bigint
        ) as avg_duration_ms,
        p50_duration_ms,
        p95_duration_ms,
        p99_duration_ms,
        cast(
            {{ floor_to_places(safe_divide('total_tokens', 'executions_with_tokens'), 0) }}
            as bigint
        ) as avg_tokens_per_task,
        executions_with_tokens,
        priced_executions,
        total_cost_exact_usd,
        -- Floored at 16 decimals, never above the exact average: a divisor with 40 decimals
        -- makes PostgreSQL carry the quotient to 40 decimals, far past the floor (a plain
        -- numeric division rounds its last digit, up as often as down).
        {{ floor_to_places(
            safe_divide('total_cost_exact_usd', 'cast(priced_executions as numeric(60, 40))'),
            16
        ) }} as avg_cost_per_task,
        scored_executions,
        {{ floor_to_places(safe_divide('total_quality_score', 'scored_executions'), 2) }}
            as avg_quality_score,
        contributing_tenants,
        created_at,
        _inputs_staged_at,
        total_completed_duration_ms,
        completed_priced_executions,
        completed_cost_exact_usd,
        total_tokens,
        total_quality_score
    from global_rows_filtered
    -- A week or month that began before the horizon lost some of its tasks: it stays sealed.
    where period_start >= {{ first_open_moment }}
)

select final.*
from final
{%- if is_incremental() %}
-- Only the periods that overlap a changed day: the others read only part of their tasks
-- here, or kept theirs.
where
    exists (
        select 1
        from ranges_changed
        where
            {{ period_in_changed_range('final', 'ranges_changed') }}
    )
{%- endif %}
