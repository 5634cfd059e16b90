{#-
    Creates (or replaces) the ROI calculator of design document 6.1 as an SQL function in the
    schema of the model whose post-hook calls it (the published schema):
    calculate_roi(p_tenant_id text, p_period_days integer, p_as_of timestamptz default now())
    over task_executions with timestamp_start in [p_as_of - p_period_days days, p_as_of),
    a day being 24 hours whatever the session time zone. ROI figures use completed priced
    tasks; the cost of the other tasks and the number of unpriced tasks come separately.
    Shown figures follow the conservative rules (floor_to_places, conservative_savings,
    conservative_savings_percentage); the exact totals come alongside, null when no completed
    task of the period is priced. SECURITY INVOKER: row-level security applies to its caller.
-#}
{%- macro create_roi_calculator() -%}
    {#- Created where the model is built; reads the published task_executions by its final
        name, so it stays right when `routing-analytics run` renames the schema in. -#}
    {%- set schema = adapter.quote(var('published_schema')) -%}
    {%- set savings_shown = conservative_savings(
        'coalesce(totals.saved, 0)', 'coalesce(totals.baseline, 0)'
    ) -%}
    create or replace function {{ adapter.quote(this.schema) }}.calculate_roi(
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
        total_savings_exact numeric
    )
    language plpgsql stable security invoker
    as $calculate_roi$
    #variable_conflict use_column
    begin
        if p_period_days is null or p_period_days < 1 then
            raise exception 'calculate_roi: p_period_days must be a positive number of days, got %',
                p_period_days using errcode = 'invalid_parameter_value';
        end if;
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
                and tasks.timestamp_start >= p_as_of - p_period_days * interval '24 hours'
                and tasks.timestamp_start < p_as_of
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
            p_as_of - p_period_days * interval '24 hours',
            p_as_of,
            {{ floor_to_places('coalesce(totals.cost, 0)', 2) }},
            {{ floor_to_places('coalesce(totals.baseline, 0)', 2) }},
            {{ savings_shown }},
            {{ conservative_savings_percentage(
                'coalesce(totals.saved, 0)', 'coalesce(totals.baseline, 0)'
            ) }},
            totals.optimized,
            case
                when {{ savings_shown }} > 0
                    and totals.optimized > 0
                    then {{ floor_to_places('totals.saved / totals.optimized', 4) }}
                else cast(0 as numeric(38, 4))
            end,
            totals.completed,
            {{ floor_to_places('totals.other_cost', 2) }},
            totals.unpriced,
            totals.cost,
            totals.baseline,
            totals.saved
        from totals;
    end;
    $calculate_roi$
{%- endmacro -%}
