{#-
    The UTC calendar day of a timestamptz, whatever the session time zone. A plain
    cast(... as date) takes the day in the session's time zone: right in dbt's sessions
    (PGTZ=UTC), wrong in a REFRESH MATERIALIZED VIEW run by a cron job or a person whose
    session is in another zone. PostgreSQL's `at time zone 'UTC'` is immutable.
-#}
{%- macro utc_date(timestamp) -%}
    {%- if timestamp is none or (timestamp | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error("utc_date: timestamp must be a SQL expression") }}
    {%- endif -%}
    cast(({{ timestamp }}) at time zone 'UTC' as date)
{%- endmacro -%}
