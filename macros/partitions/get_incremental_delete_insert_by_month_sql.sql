{#-
    Incremental strategy `delete_insert_by_month`: dbt's delete+insert into a table
    partitioned by month (meta.partitioned_by_month), after creating the partitions the new
    rows need.
-#}
{%- macro get_incremental_delete_insert_by_month_sql(arg_dict) -%}
    select {{ create_month_partitions_for(arg_dict['target_relation'], arg_dict['temp_relation']) }};
    {{ get_incremental_delete_insert_sql(arg_dict) }}
{%- endmacro -%}
