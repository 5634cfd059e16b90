{#-
    Incremental strategy `replace_recounted` of the tables that count what the aggregate
    marts' change detection compares (int_task_executions_counted_by_day,
    int_usage_events_counted_by_day, int_usage_users_first_seen): the model selects one row
    per key it counted again (config `recounted_key`, tenant_id first), a key left with
    nothing included, which config `kept_when` (SQL on the row) then leaves out. In the
    model's transaction, delete the rows of those keys, then insert those kept_when keeps.
-#}
{%- macro get_incremental_replace_recounted_sql(arg_dict) -%}
    {%- set key = config.get('recounted_key') -%}
    {%- set kept_when = config.get('kept_when') -%}
    {%- if key is string or key is none or key[0] != 'tenant_id' or not kept_when -%}
        {{ exceptions.raise_compiler_error(
            "replace_recounted: set config recounted_key (a list of columns, tenant_id first)"
            " and kept_when (SQL that is false for a key left with nothing)"
        ) }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }} as counted
    using {{ arg_dict['temp_relation'] }} as recounted
    where
        {%- for column in key %}
        counted.{{ column }} = recounted.{{ column }}{{ ' and' if not loop.last }}
        {%- endfor %};

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }}
    from {{ arg_dict['temp_relation'] }}
    where {{ kept_when }};
{%- endmacro -%}


{#-
    The selection of a day-counting model of strategy replace_recounted on an incremental
    build: every (tenant_id, activity_date) of the model's CTE `days_recounted`, with the
    figures its CTE `days_counted` found for it (`columns`), and `count_column` 0 for a day
    left with nothing, whose row the strategy then deletes.
-#}
{%- macro days_recounted_with_their_counts(count_column, columns) -%}
    select
        days_recounted.tenant_id,
        days_recounted.activity_date,
        {%- for column in columns %}
        days_counted.{{ column }},
        {%- endfor %}
        coalesce(days_counted.{{ count_column }}, 0) as {{ count_column }}
    from days_recounted
    left join days_counted
        on
            days_recounted.tenant_id = days_counted.tenant_id
            and days_recounted.activity_date = days_counted.activity_date
    where days_recounted.tenant_id is not null and days_recounted.activity_date is not null
{%- endmacro -%}
