{#-
    Drops each index of `relation` that the model's `indexes` config no longer names (same
    key columns in the same order, same uniqueness; an index a constraint owns is kept),
    before the model writes. A table built before its config changed would otherwise keep
    enforcing a retired key and refuse rows the model now allows (a record id that was unique
    across tenants, before keys began with tenant_id), or keep paying for an index that a
    wider one replaced. The config owns a model's indexes, as dbt's own rebuilds assume.
    Does nothing when the relation does not exist yet or is not a table.
-#}
{%- macro drop_retired_indexes(relation) -%}
    {%- set configured = [] -%}
    {%- for index in config.get('indexes') or [] -%}
        {%- do configured.append(
            ('unique ' if index.get('unique') else '') ~ (index['columns'] | join(','))
        ) -%}
    {%- endfor -%}
    do $drop_retired_indexes$
    declare
        retired record;
    begin
        for retired in
            select existing.indexrelid::regclass as index_name
            from pg_catalog.pg_index as existing
            where
                existing.indrelid = to_regclass({{ dbt.string_literal(relation) }})
                and not exists (
                    select from pg_catalog.pg_constraint as owner
                    where owner.conindid = existing.indexrelid
                )
                and case when existing.indisunique then 'unique ' else '' end
                || {{ index_key_columns('existing') }} not in (
                    {%- for key in configured -%}
                        {{ dbt.string_literal(key) }},
                    {%- endfor -%}
                    ''
                )
        loop
            execute format('drop index %s', retired.index_name);
        end loop;
    end
    $drop_retired_indexes$
{%- endmacro -%}
