{#-
    A post_hook for a materialized_view model that has views over it. When dbt-postgres
    re-creates a materialized view (on a full refresh, or every run with full_refresh=true)
    it runs plain SQL - `drop materialized view ... cascade`, then `create materialized
    view` - and the cascade also drops the views over the old one, but dbt does not tell
    its relation cache:
    the cache still lists those views, so the next model that builds one of them tries to
    rename a view that no longer exists and fails ("relation ... does not exist";
    dbt-labs/dbt-adapters#1714). This drops `relation` from the cache, which forgets every
    relation that depended on it (the cache records the dependencies it found in
    pg_depend), and adds `relation` back: those views are then created afresh. Renders no
    SQL (an empty hook is skipped).
-#}
{%- macro forget_dropped_dependents(relation) -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error("forget_dropped_dependents: relation is required") }}
    {%- endif -%}
    {%- if execute -%}
        {%- set materialized_view = relation.incorporate(type='materialized_view') -%}
        {%- do adapter.cache_dropped(materialized_view) -%}
        {%- do adapter.cache_added(materialized_view) -%}
    {%- endif -%}
{%- endmacro -%}
