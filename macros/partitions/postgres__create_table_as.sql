{#-
    dbt-postgres's create_table_as, and for a model with meta.partitioned_by_month a table
    partitioned by range of that column, one partition per UTC month. PostgreSQL cannot
    create a partitioned table from a query, so the rows go to a temporary table first, the
    partitions their months need are created, then the rows are inserted. The columns come
    from the model's contract when it enforces one, else from the rows.
-#}
{%- macro postgres__create_table_as(temporary, relation, sql) -%}
    {%- set column = month_partition_column() -%}
    {%- if temporary or column is none -%}
        {{ dbt.postgres__create_table_as(temporary, relation, sql) }}
    {%- else -%}
        {%- set rows_to_land = make_temp_relation(relation, '__rows') -%}
        {%- set contracted = config.get('contract').enforced -%}
        {%- if contracted -%}
            {{ get_assert_columns_equivalent(sql) }}
        {%- endif %}
        create temporary table {{ rows_to_land }} as (
            {{ sql }}
        );
        create table {{ relation }}
        {% if contracted -%}
            {{ get_table_columns_and_constraints() }}
        {%- else -%}
            (like {{ rows_to_land }})
        {%- endif %}
        partition by range ({{ column }});
        select {{ create_month_partitions_for(relation, rows_to_land) }};
        {% set columns = adapter.dispatch('get_column_names', 'dbt')() if contracted else '*' -%}
        insert into {{ relation }} {{ '(' ~ columns ~ ')' if contracted }}
        select {{ columns }} from {{ rows_to_land }};
        drop table {{ rows_to_land }}
    {%- endif -%}
{%- endmacro -%}
