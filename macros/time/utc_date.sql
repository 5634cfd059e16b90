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


{#- Whether the timestamptz lies in the UTC day `day` (a date): a range on the timestamp,
    so that an index on it reads just that day. Indented for its place in a join condition
    (twelve spaces in), so that sqlfluff reads the models as laid out. -#}
{%- macro in_utc_day(timestamp, day) -%}
    {{ timestamp }}
            >= cast({{ day }} as timestamp) at time zone 'UTC'
            and {{ timestamp }}
            < cast({{ day }} + 1 as timestamp) at time zone 'UTC'
{%- endmacro -%}
