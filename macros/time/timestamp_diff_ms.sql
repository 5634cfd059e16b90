{#-
    Whole milliseconds from `start_timestamp` to `end_timestamp` (negative when end is
    earlier), exact across DST changes. dbt.datediff(..., 'millisecond') is not used: on
    PostgreSQL it works on local times (::timestamp), so it is off by an hour across a DST
    change whenever the session time zone is not UTC.
-#}
{%- macro timestamp_diff_ms(start_timestamp, end_timestamp) -%}
    cast(
        floor(extract(epoch from ({{ end_timestamp }}) - ({{ start_timestamp }})) * 1000)
        as bigint
    )
{%- endmacro -%}
