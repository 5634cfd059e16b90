{#-
    The call (an expression) that gives `relation`, partitioned by month_partition_column(),
    the monthly partition of every row of `rows_relation` and the current and next months
    ahead of time, and returns how many partitions it created
    (util.create_month_partitions, macros/warehouse/create_util_functions.sql). A late
    record for an old month and a record of a new month both land without a manual step.
-#}
{%- macro create_month_partitions_for(relation, rows_relation) -%}
    {%- set column = month_partition_column() -%}
    {#- At parse time hooks render before the model's config is complete. -#}
    {%- if column is none and execute -%}
        {{ exceptions.raise_compiler_error(
            "create_month_partitions_for: " ~ relation ~ " has no meta.partitioned_by_month") }}
    {%- endif -%}
    {{ adapter.quote(var('util_schema')) }}.create_month_partitions(
        {{ dbt.string_literal(relation) }}::regclass,
        array(
            select distinct date_trunc('month', rows_to_land.{{ column }}, 'UTC')
            from {{ rows_relation }} as rows_to_land
        )
    )
{%- endmacro -%}
