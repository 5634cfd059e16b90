{#-
    Drops the schemas of var('retired_schemas') with what they hold: relations an earlier
    version built that nothing reads any more, which forget-tenant and retention would no
    longer clean. Run by on-run-end, once the models that replaced them are built (a view
    over a retired relation goes with it, and dbt's relation cache, filled before
    on-run-start, must not see it vanish).
-#}
{%- macro drop_retired_schemas() -%}
    {%- for schema in var('retired_schemas', []) %}
    drop schema if exists {{ adapter.quote(schema) }} cascade;
    {%- endfor %}
    select 1
{%- endmacro -%}
