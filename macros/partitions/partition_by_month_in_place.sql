{#-
    Pre-hook of a table partitioned by month: a table built before it was partitioned (by
    an older version of the project) becomes partitioned, with the same rows, before the
    model writes to it; an incremental model would otherwise keep its old layout until a
    full refresh. Its indexes are dropped with the old table; create_missing_indexes
    (post-hook) creates the configured ones. Does nothing on a partitioned table or when
    the relation does not exist yet.
-#}
{%- macro partition_by_month_in_place(relation) -%}
    {%- set column = month_partition_column() -%}
    {%- set unpartitioned = relation.incorporate(
        path={'identifier': relation.identifier ~ '__unpartitioned'}) -%}
    do $partition_by_month_in_place$
    begin
        if exists (
            select
            from pg_catalog.pg_class as class
            where
                class.oid = to_regclass({{ dbt.string_literal(relation) }})
                and class.relkind = 'r'
        ) then
            alter table {{ relation }} rename to {{ adapter.quote(unpartitioned.identifier) }};
            create table {{ relation }} (
                like {{ unpartitioned }} including defaults including constraints
            ) partition by range ({{ column }});
            perform {{ create_month_partitions_for(relation, unpartitioned) }};
            insert into {{ relation }} select * from {{ unpartitioned }};
            -- cascade: the policies of other marts that name it (their tenant registry) go
            -- with it; apply_tenant_isolation (on-run-end) creates them again.
            drop table {{ unpartitioned }} cascade;
        end if;
    end
    $partition_by_month_in_place$
{%- endmacro -%}
