{#-
    The column a model's table is partitioned by (UTC months of a timestamptz), from its
    `meta: {partitioned_by_month: column}` config; none when it is not partitioned.
-#}
{%- macro month_partition_column() -%}
    {{ return((config.get('meta') or {}).get('partitioned_by_month')) }}
{%- endmacro -%}
