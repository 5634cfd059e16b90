{#-
    Creates the roles of the published schema when they are missing - var('owner_role'),
    var('reader_role'), var('analyst_role'), all NOLOGIN (people and services log in as
    their own roles and are granted one of these) - and makes the dbt login user a member of
    the owner role. Run by on-run-start, before any model or test names them; roles are
    cluster-wide, so a build in another database may create one at the same moment.
-#}
{%- macro create_analytics_roles() -%}
    {%- set owner = var('owner_role') -%}
    do $create_analytics_roles$
    declare
        role_name text;
    begin
        foreach role_name in array array[
            {{ dbt.string_literal(owner) }},
            {{ dbt.string_literal(var('reader_role')) }},
            {{ dbt.string_literal(var('analyst_role')) }}
        ] loop
            if not exists (select from pg_catalog.pg_roles where rolname = role_name) then
                begin
                    execute format('create role %I nologin', role_name);
                exception when duplicate_object or unique_violation then
                    null;  -- created meanwhile by a build in another database
                end;
            end if;
        end loop;
        if not pg_has_role(current_user, {{ dbt.string_literal(owner) }}, 'member') then
            execute format('grant %I to %I', {{ dbt.string_literal(owner) }}, current_user);
        end if;
    end;
    $create_analytics_roles$
{%- endmacro -%}
