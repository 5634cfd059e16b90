{#-
    Drops each unique index of `relation` that the model's `indexes` config no longer names
    (and that no constraint owns), before the model writes: a table built before its key
    changed would otherwise keep enforcing the retired key and refuse rows the model now
    allows (a record id that was unique across tenants, before keys began with tenant_id).
    Does nothing when the relation does not exist yet or is not a table.
-#}
{%- macro drop_retired_unique_indexes(relation) -%}
    {%- set unique_keys = [] -%}
    {%- for index in config.get('indexes') or [] if index.get('unique') -%}
        {%- do unique_keys.append(index['columns'] | join(',')) -%}
    {%- endfor -%}
    do $drop_retired_unique_indexes$
    declare
        retired record;
    begin
        for retired in
            select existing.indexrelid::regclass as index_name
            from pg_catalog.pg_index as existing
            where
                existing.indrelid = to_regclass({{ dbt.string_literal(relation) }})
                and existing.indisunique
                and not exists (
                    select from pg_catalog.pg_constraint as owner
                    where owner.conindid = existing.indexrelid
                )
                and {{ index_key_columns('existing') }} not in (
                    {%- for key in unique_keys -%}
                        {{ dbt.string_literal(key) }},
                    {%- endfor -%}
                    ''
                )
        loop
            execute format('drop index %s', retired.index_name);
        end loop;
    end
    $drop_retired_unique_indexes$
{%- endmacro -%}
