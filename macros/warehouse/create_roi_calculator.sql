{#-
    Creates (or replaces) the ROI calculator of design document 6.1 as an SQL function in the
    schema of the model whose post-hook calls it (the published schema):
    calculate_roi(p_tenant_id text, p_period_days integer, p_as_of timestamptz default now())
    over the tasks of the last p_period_days whole UTC days as of p_as_of: the period
    ends at the first UTC midnight at or after p_as_of (so "now" includes today, and a
    midnight ends the day before it) and starts p_period_days * 24 hours earlier. This is the
    one meaning of "the last N days" everywhere: customer_roi_snapshots of day D is
    calculate_roi(t, 30, D + 1 day), and the demo's table and `routing-analytics roi` say
    the same. ROI figures use completed priced tasks; the cost of the other tasks and the
    number of unpriced tasks come separately. Shown figures follow the conservative rules
    (floor_to_places, conservative_savings, conservative_savings_percentage; a loss shown as
    a loss); the exact totals come alongside, null when no completed task of the period is
    priced. `complete` is false when the period starts before the task-level detail still
    held (analytics.retention_horizons): the figures then cover only what is left.
    The tasks' totals are summed from usage_analytics' exact day sums (the window is whole
    days), so a dashboard reads one row per day however many tasks the tenant runs.
    SECURITY INVOKER: row-level security applies to its caller.
-#}
{%- macro create_roi_calculator() -%}
    {#- Created where the model is built; reads the published usage_analytics by its final
        name, so it stays right when `routing-analytics run` renames the schema in. -#}
    {%- set schema = adapter.quote(var('published_schema')) -%}
    {%- set savings_shown = conservative_savings(
        'coalesce(totals.saved, 0)', 'coalesce(totals.baseline, 0)'
    ) -%}
    {#- A changed result type cannot be replaced in place. -#}
    drop function if exists {{ adapter.quote(this.schema) }}.calculate_roi(text, integer, timestamptz);
    create function {{ adapter.quote(this.schema) }}.calculate_roi(
        p_tenant_id text,
        p_period_days integer,
        p_as_of timestamptz default now()
    ) returns table (
        tenant_id text,
        period_start timestamptz,
        period_end timestamptz,
        total_cost numeric,
        baseline_cost numeric,
        total_savings numeric,
        savings_percentage numeric,
        tasks_optimized bigint,
        avg_savings_per_task numeric,
        tasks_completed bigint,
        other_status_cost numeric,
        unpriced_tasks bigint,
        total_cost_exact numeric,
        baseline_cost_exact numeric,
        total_savings_exact numeric,
        complete boolean,
        detail_kept_from timestamptz
    )
    language plpgsql stable security invoker
    as $calculate_roi$
    #variable_conflict use_column
    declare
        v_day_start timestamptz := date_trunc('day', p_as_of, 'UTC');
        v_end timestamptz;
        v_start timestamptz;
        v_kept_from timestamptz;
    begin
        if p_period_days is null or p_period_days < 1 then
            raise exception 'calculate_roi: p_period_days must be a positive number of days, got %',
                p_period_days using errcode = 'invalid_parameter_value';
        end if;
        v_end := case
            when v_day_start = p_as_of then p_as_of else v_day_start + interval '24 hours'
        end;
        v_start := v_end - p_period_days * interval '24 hours';
        select horizons.detail_kept_from into v_kept_from
        from {{ schema }}.retention_horizons as horizons;
        return query
        with

        -- The exact day sums of usage_analytics, which every run rebuilds from the tasks
        -- for each day whose detail is still held: the same totals as summing the tasks, at
        -- the cost of one row per day instead of one per task. Days before the detail
        -- horizon are left out, as their tasks are (`complete` says so).
        period_days as (
            select
                days.completed_tasks,
                days.completed_optimized_tasks,
                days.unpriced_tasks,
                days.completed_cost_exact_usd,
                days.completed_baseline_exact_usd,
                days.completed_savings_exact_usd,
                days.other_status_cost_exact_usd
            from {{ schema }}.usage_analytics as days
            where
                days.tenant_id = p_tenant_id
                and days.date >= {{ utc_date('v_start') }}
                and days.date < {{ utc_date('v_end') }}
                and days.date >= {{ utc_date("coalesce(v_kept_from, '-infinity')") }}
        ),

        totals as (
            select
                cast(coalesce(sum(completed_tasks), 0) as bigint) as completed,
                cast(coalesce(sum(completed_optimized_tasks), 0) as bigint) as optimized,
                cast(coalesce(sum(unpriced_tasks), 0) as bigint) as unpriced,
                sum(completed_cost_exact_usd) as cost,
                sum(completed_baseline_exact_usd) as baseline,
                sum(completed_savings_exact_usd) as saved,
                coalesce(sum(other_status_cost_exact_usd), 0) as other_cost
            from period_days
        )

        select
            p_tenant_id,
            v_start,
            v_end,
            {{ floor_to_places('coalesce(totals.cost, 0)', 2) }},
            {{ floor_to_places('coalesce(totals.baseline, 0)', 2) }},
            {{ savings_shown }},
            {{ conservative_savings_percentage(
                'coalesce(totals.saved, 0)', 'coalesce(totals.baseline, 0)'
            ) }},
            totals.optimized,
            {#- The design's total savings / tasks that saved money; only meaningful (and
                only shown) when the total shows savings. -#}
            case
                when {{ savings_shown }} > 0
                    and totals.optimized > 0
                    then {{ floor_to_places('totals.saved / totals.optimized', 4) }}
            end,
            totals.completed,
            {{ floor_to_places('totals.other_cost', 2) }},
            totals.unpriced,
            totals.cost,
            totals.baseline,
            totals.saved,
            v_kept_from is null or v_start >= v_kept_from,
            v_kept_from
        from totals;
    end;
    $calculate_roi$
{%- endmacro -%}
