{#-
    Incremental strategy `replace_unsealed` (incremental_strategy='replace_unsealed'), for
    the aggregate marts. In one transaction: delete every target row of an unsealed period
    (period column >= first_unsealed_period(...)), then insert every row the model
    selected, which are exactly those periods. So each run rebuilds the unsealed periods in
    full (a period that lost all its tasks disappears, as in a full build) and never
    touches a sealed one. The model says which column holds its period, and how many days
    before its period its figures read, in config `sealing`:
    {'period_column': 'snapshot_date', 'period_type': 'date', 'days_read_before': 59}.
    dbt's delete+insert cannot do this (it deletes only keys present in the new rows), and
    incremental_predicates are fixed when the project is parsed, before ref() can name the
    retention books.
-#}
{%- macro get_incremental_replace_unsealed_sql(arg_dict) -%}
    {%- set sealing = config.get('sealing') -%}
    {%- if sealing is none or 'period_column' not in sealing -%}
        {{ exceptions.raise_compiler_error(
            "replace_unsealed: set config sealing={'period_column': ..., 'period_type': ...}"
        ) }}
    {%- endif -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ adapter.quote(sealing['period_column']) }} >= {{ first_unsealed_period(
        sealing.get('period_type', 'timestamp'), sealing.get('days_read_before', 0)
    ) }};

    {{ get_incremental_append_sql(arg_dict) }}
{%- endmacro -%}
