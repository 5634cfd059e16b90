{#-
    Creates each index of the model's `indexes` config that `relation` lacks (same key
    columns in the same order, same uniqueness). dbt creates configured indexes only when it
    creates a table, so an incremental table built before its config changed would never get
    a new index; this post-hook gives it one, and does nothing on a fresh table.
-#}
{%- macro create_missing_indexes(relation) -%}
    {%- set indexes = config.get('indexes') or [] -%}
    {%- if indexes | length == 0 -%}
        select 1
    {%- else -%}
    do $create_missing_indexes$
    begin
        {%- for index in indexes %}
        if not exists (
            select
            from pg_catalog.pg_index as existing
            where
                existing.indrelid = {{ dbt.string_literal(relation) }}::regclass
                and existing.indisunique = {{ 'true' if index.get('unique') else 'false' }}
                and {{ index_key_columns('existing') }}
                = {{ dbt.string_literal(index['columns'] | join(',')) }}
        ) then
            create {{ 'unique' if index.get('unique') }} index
            on {{ relation }} ({{ index['columns'] | join(', ') }});
        end if;
        {%- endfor %}
    end
    $create_missing_indexes$
    {%- endif -%}
{%- endmacro -%}


{#- The key columns of a pg_index row, in order, comma-separated. -#}
{%- macro index_key_columns(index) -%}
    (
        select string_agg(attribute.attname::text, ',' order by key.position)
        from unnest({{ index }}.indkey::int2[]) with ordinality as key (attnum, position)
        inner join pg_catalog.pg_attribute as attribute
            on
                {{ index }}.indrelid = attribute.attrelid
                and key.attnum = attribute.attnum
    )
{%- endmacro -%}
