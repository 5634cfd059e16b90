{#-
    The unsealed snapshots customer_roi_snapshots holds (one row per tenant per day, from the
    tenant's first task to the warehouse's newest task day), each with what its figures are
    built from: a snapshot reads its day and the 59 before, so the tasks of those 60 days
    (count, any status; newest input stamp). Cheap aggregates only, so that a run can find
    the snapshots whose figures changed without computing the figures.
-#}
{%- macro roi_snapshots_expected() -%}
    {%- set first_open_snapshot_date = first_unsealed_period('date', days_read_before=59) -%}
    with
    task_days as (
        select tenant_id, activity_date as task_date, started_tasks as tasks, newest_input
        from {{ ref('int_task_executions_counted_by_day') }}
        where activity_date >= {{ first_unsealed_period('date') }}
    ),
    task_dates as (
        select tenant_id, task_date from task_days
        {%- if is_incremental() %}
        -- A tenant's sealed snapshots keep its spine starting where it always started.
        union all
        select tenant_id, min(snapshot_date) as task_date
        from {{ this }}
        where snapshot_date < {{ first_open_snapshot_date }}
        group by tenant_id
        {%- endif %}
    ),
    tenant_days as (
        select
            tenant_ranges.tenant_id,
            {{ date_series('tenant_ranges.first_date', 'tenant_ranges.last_date') }}
                as snapshot_date
        from (
            select
                tenant_id,
                min(task_date) as first_date,
                max(max(task_date)) over () as last_date
            from task_dates
            group by tenant_id
        ) as tenant_ranges
    ),
    snapshot_inputs as (
        select
            tenant_days.tenant_id,
            tenant_days.snapshot_date,
            sum(coalesce(task_days.tasks, 0)) over days_read as window_tasks,
            max(task_days.newest_input) over days_read as newest_input
        from tenant_days
        left join task_days
            on tenant_days.tenant_id = task_days.tenant_id
            and tenant_days.snapshot_date = task_days.task_date
        window days_read as (
            partition by tenant_days.tenant_id order by tenant_days.snapshot_date
            rows between 59 preceding and current row
        )
    )
    select tenant_id, snapshot_date as activity_date, window_tasks, newest_input
    from snapshot_inputs
    where snapshot_date >= {{ first_open_snapshot_date }}
{%- endmacro -%}


{#-
    The unsealed (tenant, snapshot date) pairs whose customer_roi_snapshots row is not what
    roi_snapshots_expected() says it must be built from: another count of tasks in its 60
    days, another newest input stamp (a new, re-built or moved task always carries a newer
    stamp; a removed one lowers the count), a day the spine gained (a new day of the
    warehouse, a new tenant) or lost. Named (tenant_id, activity_date) for replace_tenant_days;
    is_expected: the snapshot belongs in the mart (false: its row goes). A mart built before
    it had the columns window_tasks_60d and _inputs_staged_at rebuilds every unsealed
    snapshot once.
-#}
{%- macro roi_snapshots_changed() -%}
    {%- set built -%}
        select
            tenant_id,
            snapshot_date as activity_date,
            {%- if built_has_columns(['window_tasks_60d', '_inputs_staged_at']) %}
            window_tasks_60d as window_tasks,
            _inputs_staged_at as newest_input
            {%- else %}
            cast(null as bigint) as window_tasks,
            cast(null as timestamptz) as newest_input
            {%- endif %}
        from {{ this }}
        where snapshot_date >= {{ first_unsealed_period('date', days_read_before=59) }}
    {%- endset -%}
    {{ tenant_days_differing(roi_snapshots_expected(), built, ['window_tasks', 'newest_input']) }}
{%- endmacro -%}


{#-
    Incremental strategy `replace_changed_snapshots` of customer_roi_snapshots: in the
    model's transaction, delete the rows of every snapshot roi_snapshots_changed() names, then
    insert the selected rows (the model selects exactly those of them that are expected).
-#}
{%- macro get_incremental_replace_changed_snapshots_sql(arg_dict) -%}
    {{ replace_tenant_days(arg_dict, roi_snapshots_changed(), date_column='snapshot_date') }}
{%- endmacro -%}
