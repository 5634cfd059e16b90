{#-
    Fails on each row whose (tenant_id, column) has no row in `to` with the same tenant_id
    and `field`: a reference between tenant tables never crosses tenants, so a record of
    one tenant that names another tenant's id is an orphan. Null references pass.
-#}
{%- test relationships_within_tenant(model, column_name, to, field) -%}
    {#- `model` may be a subquery (a `where` config): wrapped, it takes an alias either way. #}
    select
        referencing.tenant_id,
        referencing.{{ column_name }}
    from (select * from {{ model }}) as referencing
    where
        referencing.{{ column_name }} is not null
        and not exists (
            select
            from (select * from {{ to }}) as referenced
            where
                referenced.tenant_id = referencing.tenant_id
                and referenced.{{ field }} = referencing.{{ column_name }}
        )
{%- endtest -%}
