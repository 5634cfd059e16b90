{#-
    Creates the helper functions of the models, in schema var('util_schema'): the staging
    casts' and the monthly partitions' (macros/warehouse/partitioned_by_month.sql).
    Run by on-run-start; idempotent, and serialised with an advisory lock so that concurrent
    dbt invocations do not fail with "tuple concurrently updated".
-#}
{%- macro create_util_functions() -%}
    {%- set util_schema = var('util_schema') -%}
    do $create_util_functions$
    begin
        perform pg_advisory_xact_lock(hashtext('routing_analytics.create_util_functions'));
        create schema if not exists {{ adapter.quote(util_schema) }};
        -- A text to timestamptz cast that returns null instead of raising: the timestamp
        -- input routine is the only reliable calendar check (2026-02-30, 24:00:00, ...).
        -- Parallel unsafe: its exception block is a subtransaction, which PostgreSQL
        -- refuses in parallel mode ("cannot start commands during a parallel operation").
        create or replace function {{ adapter.quote(util_schema) }}.try_cast_timestamptz(
            value text
        ) returns timestamptz
        language plpgsql stable parallel unsafe
        as $try_cast_timestamptz$
        begin
            return value::timestamptz;
        exception when data_exception then
            return null;
        end;
        $try_cast_timestamptz$;
        -- The monthly partitions (UTC months, named <table>_YYYY_MM) of a table partitioned
        -- by range of a timestamptz: one for the month of each given instant, and the
        -- current and next months ahead of time, each unless the table has it. Returns how
        -- many it created. Serialised per table: two builds may reach the same month.
        create or replace function {{ adapter.quote(util_schema) }}.create_month_partitions(
            parent regclass, instants timestamptz []
        ) returns integer
        language plpgsql volatile
        as $create_month_partitions$
        declare
            parent_schema text;
            parent_name text;
            month_start timestamp;
            partition_name text;
            created integer := 0;
        begin
            perform pg_advisory_xact_lock(hashtext('create_month_partitions'), parent::oid::integer);
            select namespace.nspname, class.relname
            into parent_schema, parent_name
            from pg_catalog.pg_class as class
            inner join pg_catalog.pg_namespace as namespace
                on class.relnamespace = namespace.oid
            where class.oid = parent;
            for month_start in
                select distinct date_trunc('month', instant at time zone 'UTC')
                from unnest(instants || array[now(), now() + interval '1 month']) as instant
                where instant is not null
                order by 1
            loop
                partition_name := parent_name || '_' || to_char(month_start, 'YYYY_MM');
                if not exists (
                    select
                    from pg_catalog.pg_inherits as inheritance
                    inner join pg_catalog.pg_class as child
                        on inheritance.inhrelid = child.oid
                    where inheritance.inhparent = parent and child.relname = partition_name
                ) then
                    -- Created apart, then attached, as raw.ensure_monthly_partitions does:
                    -- ATTACH lets readers of the table go on (CREATE ... PARTITION OF would
                    -- lock them out until the build's transaction ends).
                    execute format(
                        'create table %I.%I (like %s including defaults including constraints)',
                        parent_schema, partition_name, parent
                    );
                    execute format(
                        'alter table %s attach partition %I.%I for values from (%L) to (%L)',
                        parent, parent_schema, partition_name,
                        month_start at time zone 'UTC',
                        (month_start + interval '1 month') at time zone 'UTC'
                    );
                    created := created + 1;
                end if;
            end loop;
            return created;
        end;
        $create_month_partitions$;
    end;
    $create_util_functions$
{%- endmacro -%}
