{#-
    Post-hook: statistics for a table a build wrote. A fresh table has none, and without
    them PostgreSQL plans the joins above it for one row (minutes instead of milliseconds).
    A plain table is analysed when it never was (a new table: a full build, a table
    materialisation) or when the rows changed since its last analysis, this build's included,
    are more than autovacuum's threshold (50 + 10 %): an incremental build that adds a few
    hundred rows to a big table leaves its statistics as good as they were (0.2-0.5 s per table
    and run at 300k), and autovacuum analyses it later as rows add up; a build that changed
    much of it gets statistics before the models above read it. A partitioned one would be
    sampled whole on every build (each partition, then the table: 1.6 s for the 300k task
    mart), so a build analyses only its partitions never analysed (a new month, made ahead
    of time or for a late record), and the partitioned table when it never was or got such
    a partition (at least once a month). Autovacuum keeps each partition's statistics current as rows
    arrive; it never analyses a partitioned table itself.
-#}
{%- macro analyze_built(relation) -%}
    do $analyze_built$
    declare
        built record;
        never_analysed record;
        partitions_analysed integer := 0;
    begin
        select
            class.relkind,
            class.reltuples,
            coalesce(stats.last_analyze, stats.last_autoanalyze) is null as is_never_analysed,
            coalesce(stats.n_mod_since_analyze, 0)
                + pg_catalog.pg_stat_get_xact_tuples_inserted(class.oid)
                + pg_catalog.pg_stat_get_xact_tuples_updated(class.oid)
                + pg_catalog.pg_stat_get_xact_tuples_deleted(class.oid) as rows_changed
        into built
        from pg_catalog.pg_class as class
        left join pg_catalog.pg_stat_all_tables as stats on class.oid = stats.relid
        where class.oid = {{ dbt.string_literal(relation) }}::regclass;
        if built.relkind <> 'p' then
            if built.is_never_analysed
                or built.rows_changed > 50 + 0.1 * greatest(built.reltuples, 0) then
                analyze {{ relation }};
            end if;
            return;
        end if;
        for never_analysed in
            select child.oid::regclass as partition_name
            from pg_catalog.pg_inherits as inheritance
            inner join pg_catalog.pg_class as child on inheritance.inhrelid = child.oid
            where
                inheritance.inhparent = {{ dbt.string_literal(relation) }}::regclass
                and child.reltuples < 0
        loop
            execute format('analyze %s', never_analysed.partition_name);
            partitions_analysed := partitions_analysed + 1;
        end loop;
        if partitions_analysed > 0 or built.reltuples < 0 then
            analyze {{ relation }};
        end if;
    end
    $analyze_built$
{%- endmacro -%}
