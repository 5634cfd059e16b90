{#-
    The watermark of an incremental mart of the published schema, as a scalar subquery: the
    newest `column` (a build stamp) it holds, or -infinity when it holds none or was built
    before the column existed. A published table may only have indexes that lead with
    tenant_id (apply_tenant_isolation), so max() over the whole table would read every row
    on every run. Instead the tenants are found by a loose index scan (one probe of the
    (tenant_id, column) index per tenant), and the newest stamp of each through that index.
-#}
{%- macro newest_built_stamp(column) -%}
    {%- if not built_has_columns([column]) -%}
        cast('-infinity' as timestamptz)
    {%- else -%}
        (
            with recursive built_tenants as (
                (
                    select built.tenant_id
                    from {{ this }} as built
                    order by built.tenant_id
                    limit 1
                )
                union all
                select (
                    select built.tenant_id
                    from {{ this }} as built
                    where built.tenant_id > built_tenants.tenant_id
                    order by built.tenant_id
                    limit 1
                )
                from built_tenants
                where built_tenants.tenant_id is not null
            )

            select coalesce(max(newest.built_at), cast('-infinity' as timestamptz))
            from built_tenants
            cross join lateral (
                select max(built.{{ column }}) as built_at
                from {{ this }} as built
                where built.tenant_id = built_tenants.tenant_id
            ) as newest
        )
    {%- endif -%}
{%- endmacro -%}


{#-
    A watermark (a scalar subquery of `this` giving a timestamptz) as a literal, looked up
    when the model is executed: PostgreSQL then estimates `stamp > literal` from the
    statistics (the few rows staged since), where a subquery leaves it guessing a third of
    the table and planning full scans to join them (at 1M tasks, 0.5-1 s per model and
    build). The subquery itself when parsing, and in a unit test (`this` is a fixture).
    The model and its strategy, rendered before either writes, read the same value.
-#}
{%- macro stamp_literal(scalar_subquery) -%}
    {%- if this is string or not execute -%}
        {{- return(scalar_subquery) -}}
    {%- endif -%}
    {%- set stamp = run_query('select cast(' ~ scalar_subquery ~ ' as text)').rows[0][0] -%}
    {{- return('cast(' ~ dbt.string_literal(stamp) ~ ' as timestamptz)') -}}
{%- endmacro -%}


{#- Whether `relation` has a row whose `column` is after `since` (a SQL timestamptz), asked
    when the model is executed; true when parsing (every branch names its relations) and in
    a unit test (`this` is a fixture). -#}
{%- macro rows_stamped_since(relation, column, since) -%}
    {%- if this is string or not execute -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set query -%}
        select exists (select from {{ relation }} where {{ column }} > {{ since }})
    {%- endset -%}
    {{- return(run_query(query).rows[0][0]) -}}
{%- endmacro -%}
