{#-
    An aggregate JSON object built from the rows of the group: one key per row (`key`
    expression) with its `value`; null when the group has no row with a non-null key.
-#}
{%- macro json_object_agg_pairs(key, value) -%}
    {{ return(adapter.dispatch('json_object_agg_pairs', 'routing_analytics')(key, value)) }}
{%- endmacro -%}

{%- macro default__json_object_agg_pairs(key, value) -%}
    {{ exceptions.raise_compiler_error("json_object_agg_pairs: not implemented for this adapter") }}
{%- endmacro -%}

{%- macro postgres__json_object_agg_pairs(key, value) -%}
    jsonb_object_agg({{ key }}, {{ value }} order by {{ key }}) filter (where {{ key }} is not null)
{%- endmacro -%}
