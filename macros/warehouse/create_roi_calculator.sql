{#-
    Creates (or replaces) the ROI calculator of design document 6.1 as an SQL function in the
    schema of the model whose post-hook calls it (the published schema):
    calculate_roi(p_tenant_id text, p_period_days integer, p_as_of timestamptz default now())
    over task_executions of the last p_period_days whole UTC days as of p_as_of: the period
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
    SECURITY INVOKER: row-level security applies to its caller.
-#}
{%- macro create_roi_calculator() -%}
    {#- Created where the model is built; reads the published task_executions by its final
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

        period_tasks as (
            select
                tasks.status,
                tasks.cost_actual,
                tasks.cost_baseline,
                tasks.savings,
                tasks.is_priced
            from {{ schema }}.task_executions as tasks
            where
                tasks.tenant_id = p_tenant_id
                and tasks.timestamp_start >= v_start
                and tasks.timestamp_start < v_end
        ),

        totals as (
            select
                count(*) filter (where status = 'completed') as completed,
                count(*) filter (where status = 'completed' and is_priced and savings > 0)
                    as optimized,
                count(*) filter (where not is_priced) as unpriced,
                sum(cost_actual) filter (where status = 'completed') as cost,
                sum(cost_baseline) filter (where status = 'completed') as baseline,
                sum(savings) filter (where status = 'completed') as saved,
                coalesce(sum(cost_actual) filter (where status <> 'completed'), 0) as other_cost
            from period_tasks
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
