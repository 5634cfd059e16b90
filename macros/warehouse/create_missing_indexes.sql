{#-
    Creates each index of the model's `indexes` config that `relation` lacks (same key
    columns in the same order, same uniqueness). dbt creates configured indexes only when it
    creates a table, so an incremental mart built before its config changed would never get
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
                and array(
                    select attribute.attname::text
                    from unnest(existing.indkey::int2[]) with ordinality as key (attnum, position)
                    inner join pg_catalog.pg_attribute as attribute
                        on
                            existing.indrelid = attribute.attrelid
                            and key.attnum = attribute.attnum
                    order by key.position
                ) = array[
                    {%- for column in index['columns'] -%}
                        {{ dbt.string_literal(column) }}{{ ", " if not loop.last }}
                    {%- endfor -%}
                ]::text[]
        ) then
            create {{ 'unique' if index.get('unique') }} index
            on {{ relation }} ({{ index['columns'] | join(', ') }});
        end if;
        {%- endfor %}
    end
    $create_missing_indexes$
    {%- endif -%}
{%- endmacro -%}
