{#-
    Aggregate marts at (tenant, UTC day) grain re-build only the days whose tasks changed:
    the unsealed days where analytics.task_executions (as this build left it) holds another
    number of tasks, or a newer input stamp (`_inputs_staged_at`), than this mart's figures
    of that day were built from. New, re-built, moved and removed tasks all show there: a
    re-built task carries the stamp of the build that changed one of its inputs, newer than
    any before it, and a task that left a day lowers the day's count. A mart built before
    it had the stamp column re-builds every unsealed day once. The model's config
    `day_tasks_counted` is the SQL that counts a day's tasks from the mart's own rows.
-#}
{%- macro tenant_days_changed() -%}
    {%- set counted = config.get('day_tasks_counted') -%}
    {%- if counted is none -%}
        {{ exceptions.raise_compiler_error(
            "replace_changed_days: set config day_tasks_counted (the day's tasks, from the rows)"
        ) }}
    {%- endif -%}
    {%- set first_open_date = first_unsealed_period('date') -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- set newest_built = 'max(_inputs_staged_at)' if '_inputs_staged_at' in columns
        else 'cast(null as timestamptz)' -%}
    select coalesce(tasks.tenant_id, built.tenant_id) as tenant_id,
        coalesce(tasks.activity_date, built.activity_date) as activity_date
    from (
        select
            tenant_id,
            {{ utc_date('timestamp_start') }} as activity_date,
            count(*) as tasks,
            max(_inputs_staged_at) as newest_input
        from {{ ref('task_executions') }}
        where timestamp_start >= {{ first_open_date }}
        group by tenant_id, {{ utc_date('timestamp_start') }}
    ) as tasks
    full outer join (
        select
            tenant_id,
            date as activity_date,
            {{ counted }} as tasks,
            {{ newest_built }} as newest_input
        from {{ this }}
        where date >= {{ first_open_date }}
        group by tenant_id, date
    ) as built
        on tasks.tenant_id = built.tenant_id and tasks.activity_date = built.activity_date
    where
        tasks.tasks is distinct from built.tasks
        or tasks.newest_input is distinct from built.newest_input
{%- endmacro -%}


{#-
    Incremental strategy `replace_changed_days`: in the model's transaction, delete the rows
    of every (tenant, day) tenant_days_changed() names, then insert the selected rows (the
    model selects exactly those days; a day left without tasks gets none).
-#}
{%- macro get_incremental_replace_changed_days_sql(arg_dict) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }} as built
    using ({{ tenant_days_changed() }}) as changed
    where built.tenant_id = changed.tenant_id and built.date = changed.activity_date;

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }}
    from {{ arg_dict['temp_relation'] }}
{%- endmacro -%}
