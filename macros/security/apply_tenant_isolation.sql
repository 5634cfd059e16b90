{#-
    Tenant isolation of the published schema, re-applied from the catalog after every dbt
    invocation (on-run-end), so that a new mart is covered without anyone remembering to:
    - roles (created when missing): var('owner_role') owns every published relation and is
      the role dbt builds with (the dbt login user is made a member); var('reader_role')
      reads for one tenant; var('analyst_role') reads every tenant. Neither reader can write.
    - every table with a tenant_id: row-level security enabled AND forced, readers see rows
      where tenant_id = current_setting('app.tenant_id', true) (and, in
      var('global_row_relations'), the rows with a null tenant_id, the global rows, only for
      a known tenant: one with rows in var('tenant_registry_relation')); no setting, an empty one or an unknown tenant
      means no rows.
    - views with a tenant_id run as their caller (security_invoker), so the RLS of their
      tables applies.
    - every index of a table with a tenant_id leads with tenant_id; any other is dropped.
      With a reader's tenant condition in every index scan, a plan never visits another
      tenant's rows, so EXPLAIN ANALYZE cannot count them: an index on, say, date alone
      would let a reader's `where date = ...` read every tenant's rows of that day and
      report how many the policy removed.
    - readers get SELECT only on relations with a tenant_id and on var('tenant_free_relations')
      (not tenant data); nothing in any other schema. Privileges of a relation dbt has just
      re-created start empty: until this macro has run, readers see nothing (fails closed).
    - readers have usage on the published schema only, not on the standby that `run` builds
      into before its gates have passed.
    The roles themselves are created by create_analytics_roles (on-run-start), so that
    models and tests that name them work on the first build of a new server.
-#}
{%- macro apply_tenant_isolation() -%}
    {%- set schema = published_schema_name() -%}
    {%- set owner = var('owner_role') -%}
    {%- set reader = var('reader_role') -%}
    {%- set analyst = var('analyst_role') -%}
    {%- set private_schemas = ['raw', 'staging', 'int', 'snapshots', var('util_schema')] -%}
    {#- The standby schema that `routing-analytics run` builds into is not published yet:
        readers get usage on it when it is swapped in (routing_analytics/warehouse/publish.py). -#}
    {%- set reader_usage = 'grant usage on schema %I to %I, %I'
        if schema == var('published_schema') else 'revoke usage on schema %I from %I, %I' -%}
    do $apply_tenant_isolation$
    declare
        relation record;
        stray_index record;
        tenant_filter text;
    begin
        perform pg_advisory_xact_lock(hashtext('routing_analytics.apply_tenant_isolation'));
        {#- A `dbt seed` or a selection without marts on a new database has not made it. #}
        execute format('create schema if not exists %I', {{ dbt.string_literal(schema) }});
        execute format('grant usage, create on schema %I to %I',
            {{ dbt.string_literal(schema) }}, {{ dbt.string_literal(owner) }});
        execute format({{ dbt.string_literal(reader_usage) }},
            {{ dbt.string_literal(schema) }},
            {{ dbt.string_literal(reader) }}, {{ dbt.string_literal(analyst) }});
        execute format('revoke create on schema %I from public',
            {{ dbt.string_literal(schema) }});
        {%- for private_schema in private_schemas %}
        if exists (
            select from pg_catalog.pg_namespace
            where nspname = {{ dbt.string_literal(private_schema) }}
        ) then
            execute format('revoke all on schema %I from public',
                {{ dbt.string_literal(private_schema) }});
        end if;
        {%- endfor %}

        for relation in
            select
                namespace.nspname as schema_name,
                class.relname as relation_name,
                class.relkind as relation_kind,
                tenant_column.attnum is not null as has_tenant_id,
                class.relname = any(array[
                    {%- for name in var('global_row_relations') -%}
                        {{ dbt.string_literal(name) }}{{ ", " if not loop.last }}
                    {%- endfor -%}
                ]::text[]) as has_global_rows,
                class.relname = any(array[
                    {%- for name in var('tenant_free_relations') -%}
                        {{ dbt.string_literal(name) }}{{ ", " if not loop.last }}
                    {%- endfor -%}
                ]::text[]) as is_tenant_free
            from pg_catalog.pg_class as class
            inner join pg_catalog.pg_namespace as namespace
                on class.relnamespace = namespace.oid
            left join pg_catalog.pg_attribute as tenant_column
                on
                    class.oid = tenant_column.attrelid
                    and tenant_column.attname = 'tenant_id'
                    and not tenant_column.attisdropped
            where
                namespace.nspname = {{ dbt.string_literal(schema) }}
                and class.relkind in ('r', 'p', 'v', 'm', 'f')
        loop
            -- Lock a table before touching its catalog row: an autovacuum that is analysing
            -- it then only blocks us, and PostgreSQL cancels it, instead of both waiting on
            -- each other (deadlock, seen after retention deleted many rows).
            if relation.relation_kind in ('r', 'p') then
                execute format('lock table %I.%I in access exclusive mode',
                    relation.schema_name, relation.relation_name);
            end if;
            execute format('revoke all on %I.%I from public, %I, %I',
                relation.schema_name, relation.relation_name,
                {{ dbt.string_literal(reader) }}, {{ dbt.string_literal(analyst) }});
            if relation.relation_kind = 'v' then
                execute format('alter view %I.%I owner to %I',
                    relation.schema_name, relation.relation_name,
                    {{ dbt.string_literal(owner) }});
            else
                execute format('alter table %I.%I owner to %I',
                    relation.schema_name, relation.relation_name,
                    {{ dbt.string_literal(owner) }});
            end if;
            execute format('grant select on %I.%I to %I',
                relation.schema_name, relation.relation_name,
                {{ dbt.string_literal(analyst) }});

            if relation.has_tenant_id and relation.relation_kind in ('r', 'p') then
                for stray_index in
                    select index_class.relname as index_name
                    from pg_catalog.pg_index as index
                    inner join pg_catalog.pg_class as index_class
                        on index.indexrelid = index_class.oid
                    where
                        index.indrelid = format('%I.%I',
                            relation.schema_name, relation.relation_name)::regclass
                        and index.indkey[0] is distinct from (
                            select attnum from pg_catalog.pg_attribute
                            where attrelid = index.indrelid and attname = 'tenant_id'
                        )
                        -- A partition's index goes with its partitioned table's.
                        and not index_class.relispartition
                loop
                    execute format('drop index %I.%I',
                        relation.schema_name, stray_index.index_name);
                end loop;
                execute format('alter table %I.%I enable row level security',
                    relation.schema_name, relation.relation_name);
                execute format('alter table %I.%I force row level security',
                    relation.schema_name, relation.relation_name);
                tenant_filter := 'nullif(current_setting(''app.tenant_id'', true), '''') is not null'
                    || ' and (tenant_id = current_setting(''app.tenant_id'', true)'
                    || case
                        when relation.has_global_rows then format(
                            ' or (tenant_id is null and exists (select from %I.%I as known'
                            ' where known.tenant_id = current_setting(''app.tenant_id'', true)))',
                            {{ dbt.string_literal(schema) }},
                            {{ dbt.string_literal(var('tenant_registry_relation')) }})
                        else ''
                    end
                    || ')';
                execute format('drop policy if exists tenant_reader on %I.%I',
                    relation.schema_name, relation.relation_name);
                execute format(
                    'create policy tenant_reader on %I.%I for select to %I using (%s)',
                    relation.schema_name, relation.relation_name,
                    {{ dbt.string_literal(reader) }}, tenant_filter);
                execute format('drop policy if exists analyst_reads_all on %I.%I',
                    relation.schema_name, relation.relation_name);
                execute format(
                    'create policy analyst_reads_all on %I.%I for select to %I using (true)',
                    relation.schema_name, relation.relation_name,
                    {{ dbt.string_literal(analyst) }});
                execute format('drop policy if exists owner_builds on %I.%I',
                    relation.schema_name, relation.relation_name);
                execute format(
                    'create policy owner_builds on %I.%I for all to %I'
                    ' using (true) with check (true)',
                    relation.schema_name, relation.relation_name,
                    {{ dbt.string_literal(owner) }});
                execute format('grant select on %I.%I to %I',
                    relation.schema_name, relation.relation_name,
                    {{ dbt.string_literal(reader) }});
            elsif relation.has_tenant_id and relation.relation_kind = 'v' then
                execute format('alter view %I.%I set (security_invoker = true)',
                    relation.schema_name, relation.relation_name);
                execute format('grant select on %I.%I to %I',
                    relation.schema_name, relation.relation_name,
                    {{ dbt.string_literal(reader) }});
            elsif not relation.has_tenant_id and relation.is_tenant_free then
                execute format('grant select on %I.%I to %I',
                    relation.schema_name, relation.relation_name,
                    {{ dbt.string_literal(reader) }});
            end if;
        end loop;
    end;
    $apply_tenant_isolation$
{%- endmacro -%}
