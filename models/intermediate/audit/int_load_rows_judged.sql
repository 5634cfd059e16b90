{#-
    How every load's rows were judged (macros/audit/load_rows_judged.sql), kept per load:
    each build recounts only the loads touched by rows (re)staged since the newest staging
    stamp counted here (loads_to_recount).
    Retention and forget-tenant, which delete staged rows between builds, recount every load
    from int_load_rows_judged_in_full (routing_analytics/warehouse/reconciliation.py);
    tests/assert_load_counts_match_a_full_recount.sql compares the two in every full build.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['stream', 'load_id'],
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['stream', 'load_id'], 'unique': true}],
    )
}}

{% if is_incremental() -%}
{{ load_rows_judged(loads_to_recount()) }}
{%- else -%}
{{ load_rows_judged() }}
{%- endif %}
