{#-
    Post-hook of a table partitioned by month: its partitions are named <table>_YYYY_MM.
    A full refresh builds the table under a temporary name (<table>__dbt_tmp), whose
    partitions are named after it; once dbt has swapped it in, they take the table's name.
    The table it replaced keeps those names until dbt drops it after the transaction, so
    its partitions are first renamed after it (<table>__dbt_backup_YYYY_MM).
-#}
{%- macro name_month_partitions(relation) -%}
    do $name_month_partitions$
    declare
        misnamed record;
        wanted_name text;
        holder record;
    begin
        for misnamed in
            select
                namespace.nspname as schema_name,
                parent.relname as parent_name,
                child.relname as partition_name
            from pg_catalog.pg_inherits as inheritance
            inner join pg_catalog.pg_class as child on inheritance.inhrelid = child.oid
            inner join pg_catalog.pg_class as parent on inheritance.inhparent = parent.oid
            inner join pg_catalog.pg_namespace as namespace
                on child.relnamespace = namespace.oid
            where
                inheritance.inhparent = {{ dbt.string_literal(relation) }}::regclass
                and child.relname <> parent.relname || '_' || right(child.relname, 7)
        loop
            wanted_name := misnamed.parent_name || '_' || right(misnamed.partition_name, 7);
            for holder in
                select holder_parent.relname as parent_name
                from pg_catalog.pg_class as holder_child
                inner join pg_catalog.pg_inherits as inheritance
                    on holder_child.oid = inheritance.inhrelid
                inner join pg_catalog.pg_class as holder_parent
                    on inheritance.inhparent = holder_parent.oid
                where
                    holder_child.relname = wanted_name
                    and holder_child.relnamespace = misnamed.schema_name::regnamespace
            loop
                execute format('alter table %I.%I rename to %I', misnamed.schema_name,
                    wanted_name, holder.parent_name || '_' || right(wanted_name, 7));
            end loop;
            execute format('alter table %I.%I rename to %I', misnamed.schema_name,
                misnamed.partition_name, wanted_name);
        end loop;
    end
    $name_month_partitions$
{%- endmacro -%}
