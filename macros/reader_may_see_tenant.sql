{#-
    A boolean SQL condition for a view that runs as its owner (over a relation that cannot
    carry row-level security, such as a materialized view) and must filter rows itself,
    failing closed: true when `tenant_column` equals the caller's app.tenant_id setting (an
    empty or missing setting matches nothing), or when the caller is a member of
    var('analyst_role') or var('owner_role') (all tenants). A role that does not exist yet
    matches nobody instead of raising. Use it in a security_barrier view.
-#}
{%- macro reader_may_see_tenant(tenant_column) -%}
    {%- if tenant_column is none or (tenant_column | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error(
            "reader_may_see_tenant: tenant_column must be a SQL expression"
        ) }}
    {%- endif -%}
    {{ return(adapter.dispatch('reader_may_see_tenant', 'routing_analytics')(tenant_column)) }}
{%- endmacro -%}

{%- macro default__reader_may_see_tenant(tenant_column) -%}
    {{ exceptions.raise_compiler_error(
        "reader_may_see_tenant: not implemented for " ~ adapter.type()
    ) }}
{%- endmacro -%}

{%- macro postgres__reader_may_see_tenant(tenant_column) -%}
    (
        {{ tenant_column }} = nullif(current_setting('app.tenant_id', true), '')
        or exists (
            select
            from pg_catalog.pg_roles as all_tenants_role
            where
                all_tenants_role.rolname in (
                    {{ dbt.string_literal(var('analyst_role')) }},
                    {{ dbt.string_literal(var('owner_role')) }}
                )
                and pg_has_role(current_user, all_tenants_role.oid, 'usage')
        )
    )
{%- endmacro -%}
