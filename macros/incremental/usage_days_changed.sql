{#-
    The unsealed days usage_analytics holds (one row per tenant per UTC day, from the tenant's
    first activity to the warehouse's newest day), each with what its figures are built from:
    its tasks (count, newest input stamp), its usage events (count, newest stamp) and its new
    users (a user is new on the first day they were ever seen). Cheap aggregates only, so that
    a run can find the days whose figures changed without computing the figures.
-#}
{%- macro usage_days_expected() -%}
    {%- set first_open_date = first_unsealed_period('date') -%}
    with
    task_days as (
        select tenant_id, activity_date, started_tasks as tasks, newest_input
        from {{ ref('int_task_executions_counted_by_day') }}
    ),
    event_days as (
        select tenant_id, activity_date, usage_events, newest_input
        from {{ ref('int_usage_events_counted_by_day') }}
    ),
    -- A user is new to a tenant on the day of their first event with that tenant, ever
    -- (int_usage_users_first_seen keeps the first days of the events retention deleted).
    new_user_days as (
        select
            tenant_id,
            first_seen_date as activity_date,
            count(*) as new_users
        from {{ ref('int_usage_users_first_seen') }}
        group by tenant_id, first_seen_date
    ),
    activity_dates as (
        select tenant_id, activity_date from task_days
        union all
        select tenant_id, activity_date from event_days
        {%- if is_incremental() %}
        -- A tenant's sealed days keep its spine starting where it always started.
        union all
        select tenant_id, min(date) as activity_date
        from {{ this }}
        where date < {{ first_open_date }}
        group by tenant_id
        {%- endif %}
    ),
    -- The newest day with any data in the warehouse (from the data, never from the clock).
    warehouse_last_date as (
        select max(activity_date) as last_date
        from activity_dates
    ),
    tenant_days as (
        select
            tenant_first_dates.tenant_id,
            {{ date_series('tenant_first_dates.first_date', 'warehouse_last_date.last_date') }}
                as activity_date
        from (
            select tenant_id, min(activity_date) as first_date
            from activity_dates
            group by tenant_id
        ) as tenant_first_dates
        cross join warehouse_last_date
    )
    select
        tenant_days.tenant_id,
        tenant_days.activity_date,
        coalesce(task_days.tasks, 0) as tasks,
        coalesce(event_days.usage_events, 0) as usage_events,
        coalesce(new_user_days.new_users, 0) as new_users,
        greatest(task_days.newest_input, event_days.newest_input) as newest_input
    from tenant_days
    left join task_days
        on tenant_days.tenant_id = task_days.tenant_id
        and tenant_days.activity_date = task_days.activity_date
    left join event_days
        on tenant_days.tenant_id = event_days.tenant_id
        and tenant_days.activity_date = event_days.activity_date
    left join new_user_days
        on tenant_days.tenant_id = new_user_days.tenant_id
        and tenant_days.activity_date = new_user_days.activity_date
    where tenant_days.activity_date >= {{ first_open_date }}
{%- endmacro -%}


{#-
    The unsealed (tenant, day) pairs whose usage_analytics row is not what usage_days_expected()
    says it must be built from: another count of tasks, usage events or new users, another
    newest input stamp, a day the spine gained (a new day of the warehouse, an earlier first
    day of a tenant) or lost. is_expected: the day belongs in the mart (false: its row goes).
    A mart built before it had the columns usage_events and _inputs_staged_at rebuilds every
    unsealed day once.
-#}
{%- macro usage_days_changed() -%}
    {%- set built -%}
        select
            tenant_id,
            date as activity_date,
            tasks_created as tasks,
            new_users,
            {%- if built_has_columns(['usage_events', '_inputs_staged_at']) %}
            usage_events,
            _inputs_staged_at as newest_input
            {%- else %}
            cast(null as bigint) as usage_events,
            cast(null as timestamptz) as newest_input
            {%- endif %}
        from {{ this }}
        where date >= {{ first_unsealed_period('date') }}
    {%- endset -%}
    {{ tenant_days_differing(
        usage_days_expected(), built, ['tasks', 'usage_events', 'new_users', 'newest_input'],
        carried=['new_users']
    ) }}
{%- endmacro -%}


{#-
    Incremental strategy `replace_changed_usage_days` of usage_analytics: in the model's
    transaction, delete the rows of every day usage_days_changed() names, then insert the
    selected rows (the model selects exactly those of them that are expected).
-#}
{%- macro get_incremental_replace_changed_usage_days_sql(arg_dict) -%}
    {{ replace_tenant_days(arg_dict, usage_days_changed()) }}
{%- endmacro -%}
