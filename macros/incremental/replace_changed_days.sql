{#-
    Aggregate marts re-build only the days whose tasks changed: the unsealed (tenant, UTC
    day) pairs where analytics.task_executions (as this build left it, counted by day in
    int_task_executions_counted_by_day) holds another number of tasks, or a newer input
    stamp (`_inputs_staged_at`), than this mart's figures of that day were built from. New,
    re-built, moved and removed tasks all show there: a re-built task carries the stamp of
    the build that changed one of its inputs, newer than any before it, and a task that
    left a day lowers the day's count. A mart built before it had
    the stamp column re-builds every unsealed day once. The model's config `changed_days`
    says how its own rows give a tenant's day: {'row_date': SQL of the row's UTC day,
    'row_filter': SQL of the rows that count each task of the day once, 'tasks_counted':
    SQL aggregate of their tasks}.
-#}
{%- macro tenant_days_changed(changed_days=none) -%}
    {#- The model passes its config's value: in a unit test `config` is the test's. -#}
    {%- set days = changed_days if changed_days is not none else config.get('changed_days') -%}
    {%- if days is none or 'row_date' not in days or 'tasks_counted' not in days -%}
        {{ exceptions.raise_compiler_error(
            "tenant_days_changed: set config changed_days={'row_date': ..., 'row_filter': ...,"
            " 'tasks_counted': ...}"
        ) }}
    {%- endif -%}
    {%- set first_open_date = first_unsealed_period('date') -%}
    {%- set expected -%}
        select tenant_id, activity_date, started_tasks as tasks, newest_input
        from {{ ref('int_task_executions_counted_by_day') }}
        where activity_date >= {{ first_open_date }}
    {%- endset -%}
    {%- set built -%}
        select
            tenant_id,
            {{ days['row_date'] }} as activity_date,
            {{ days['tasks_counted'] }} as tasks,
            {{ built_from('_inputs_staged_at') }} as newest_input
        from {{ this }}
        where {{ days.get('row_filter', 'true') }} and {{ days['row_date'] }} >= {{ first_open_date }}
        group by tenant_id, {{ days['row_date'] }}
    {%- endset -%}
    {{ tenant_days_differing(expected, built, ['tasks', 'newest_input']) }}
{%- endmacro -%}


{#-
    Two CTEs for a model of strategy replace_changed_days: `days_changed` (the days
    tenant_days_changed() names) and `task_executions_of_changed_days`, the rows of the
    model's CTE `task_executions` that started on those days, read by the index on
    (tenant_id, timestamp_start) day by day (rows_of_tenant_days). Ends with a comma: more
    CTEs follow.
-#}
{%- macro task_executions_of_changed_days(changed_days) -%}
days_changed as (
    {{ tenant_days_changed(changed_days) }}
),

task_executions_of_changed_days as (
    {{ rows_of_tenant_days('days_changed', 'task_executions', 'timestamp_start') }}
),
{%- endmacro -%}


{#-
    The (tenant_id, activity_date) pairs where what a mart's rows were built from (`built`,
    SQL) differs from what they must be built from now (`expected`, SQL): a pair on one side
    only, or another value of a `fingerprint` column (both sides name them alike).
    is_expected: the pair belongs in the mart (false: its row goes); `carried`: columns of
    `expected` passed on.
-#}
{%- macro tenant_days_differing(expected, built, fingerprint, carried=[]) -%}
    select
        coalesce(expected.tenant_id, built.tenant_id) as tenant_id,
        coalesce(expected.activity_date, built.activity_date) as activity_date,
        expected.tenant_id is not null as is_expected
        {%- for column in carried %},
        expected.{{ column }}
        {%- endfor %}
    from ({{ expected }}) as expected
    full outer join ({{ built }}) as built
        on expected.tenant_id = built.tenant_id and expected.activity_date = built.activity_date
    where
        expected.tenant_id is null
        or built.tenant_id is null
        {%- for column in fingerprint %}
        or expected.{{ column }} is distinct from built.{{ column }}
        {%- endfor %}
{%- endmacro -%}


{#-
    Incremental strategy `replace_changed_days`: in the model's transaction, delete the rows
    of every (tenant, day) tenant_days_changed() names, then insert the selected rows (the
    model selects exactly those days; a day left without tasks gets none).
-#}
{%- macro get_incremental_replace_changed_days_sql(arg_dict) -%}
    {{ replace_tenant_days(arg_dict, tenant_days_changed()) }}
{%- endmacro -%}


{#- Delete the target's rows of the (tenant_id, activity_date) pairs that `days` (SQL) selects
    (`date_column`: the target's day column), then insert the selected rows: the body of the
    strategies that re-build changed days. -#}
{%- macro replace_tenant_days(arg_dict, days, date_column='date') -%}
    delete from {{ arg_dict['target_relation'] }} as built
    using ({{ days }}) as changed
    where
        built.tenant_id = changed.tenant_id
        and built.{{ adapter.quote(date_column) }} = changed.activity_date;

    {{ get_incremental_append_sql(arg_dict) }}
{%- endmacro -%}



{#-
    For an aggregate mart of periods (provider_performance): what it re-builds, and which
    tasks that reads. Per changed tenant-day (tenant_days_changed), the day itself
    (changed_start, changed_end) and the tenant's range to read, from the earlier of the
    day's week and month start to the later of their ends: every period of the tenant that
    overlaps the day (its hours, the day, its week, its month) lies inside it, and so do all
    of its tasks. Per changed day, a global row (tenant_id null): the day, read over the
    global level's period of the day (or the day itself for hourly periods); and the period
    of every global row that no longer adds up from its tenants' rows (a tenant forgotten).
    A row is re-built when its period overlaps the changed span of a row of its tenant (or of
    a global row, for a global row): the hours and day of another day of the same month keep
    their figures, as their tasks did.
-#}
{%- macro period_ranges_changed(global_datepart, changed_days=none) -%}
    {%- set day_start = "cast(days.activity_date as timestamp) at time zone 'UTC'" -%}
    with days_changed as (
        {{ tenant_days_changed(changed_days) }}
    )
    select
        days.tenant_id,
        least({{ dbt.date_trunc('week', day_start) }}, {{ dbt.date_trunc('month', day_start) }})
            as range_start,
        greatest(
            {{ dbt.dateadd('week', 1, dbt.date_trunc('week', day_start)) }},
            {{ dbt.dateadd('month', 1, dbt.date_trunc('month', day_start)) }}
        ) as range_end,
        {{ day_start }} as changed_start,
        {{ dbt.dateadd('day', 1, day_start) }} as changed_end
    from days_changed as days
    union
    select distinct
        cast(null as {{ dbt.type_string() }}) as tenant_id,
        least({{ day_start }}, {{ dbt.date_trunc(global_datepart, day_start) }}) as range_start,
        greatest(
            {{ dbt.dateadd('day', 1, day_start) }},
            {{ dbt.dateadd(global_datepart, 1, dbt.date_trunc(global_datepart, day_start)) }}
        ) as range_end,
        {{ day_start }} as changed_start,
        {{ dbt.dateadd('day', 1, day_start) }} as changed_end
    from days_changed as days
    -- A global row that no longer adds up from its tenants' rows of the same period (a
    -- tenant forgotten, `routing-analytics forget-tenant`, leaves every other day alike).
    union
    select
        cast(null as {{ dbt.type_string() }}) as tenant_id,
        global_rows.period_start as range_start,
        global_rows.period_end as range_end,
        global_rows.period_start as changed_start,
        global_rows.period_end as changed_end
    from {{ this }} as global_rows
    cross join lateral (
        select
            sum(tenant_rows.total_executions) as total_executions,
            count(*) as contributing_tenants
        from {{ this }} as tenant_rows
        where
            tenant_rows.tenant_id is not null
            and tenant_rows.aggregation_level = global_rows.aggregation_level
            and tenant_rows.provider = global_rows.provider
            and tenant_rows.period_start = global_rows.period_start
    ) as added_up
    where
        global_rows.tenant_id is null
        and global_rows.period_start >= {{ first_unsealed_period('timestamp') }}
        and (
            global_rows.total_executions is distinct from added_up.total_executions
            or global_rows.contributing_tenants is distinct from added_up.contributing_tenants
        )
{%- endmacro -%}


{#- Whether `row` (a relation alias with tenant_id, period_start, period_end) is a period
    that period_ranges_changed() re-builds: it overlaps the changed span of a row of its
    tenant; `ranges` is an alias of its rows. -#}
{#- Indented for its place in provider_performance (the condition twelve spaces in), so that
    sqlfluff reads the model's incremental branch as laid out. -#}
{%- macro period_in_changed_range(row, ranges) -%}
    {{ row }}.period_start < {{ ranges }}.changed_end
            and {{ row }}.period_end > {{ ranges }}.changed_start
            and (
                {{ row }}.tenant_id = {{ ranges }}.tenant_id
                or ({{ row }}.tenant_id is null and {{ ranges }}.tenant_id is null)
            )
{%- endmacro -%}


{#-
    Incremental strategy `replace_changed_periods`: in the model's transaction, delete every
    unsealed row whose period period_ranges_changed() re-builds, then insert the selected
    rows (the model selects exactly those). The model's config `global_datepart` names the
    date part of its global rows' periods.
-#}
{%- macro get_incremental_replace_changed_periods_sql(arg_dict) -%}
    delete from {{ arg_dict['target_relation'] }} as built
    where
        built.period_start >= {{ first_unsealed_period('timestamp') }}
        and exists (
            select
            from ({{ period_ranges_changed(config.get('global_datepart')) }}) as ranges
            where {{ period_in_changed_range('built', 'ranges') }}
        );

    {{ get_incremental_append_sql(arg_dict) }}
{%- endmacro -%}
