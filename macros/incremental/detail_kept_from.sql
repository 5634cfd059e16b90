{#-
    The moment from which task-level detail is complete: the newest horizon that
    `routing-analytics retention` applied (it deletes older detail), or -infinity when
    retention never ran. An aggregate period that starts before it can no longer be
    recomputed, so the aggregate marts keep its row as it is (sealed) and rebuild only the
    periods from here on. A SQL expression (timestamptz); utc_date() of it is the first
    complete UTC day.
-#}
{%- macro detail_kept_from() -%}
    (
        select coalesce(max(detail_kept_from), '-infinity'::timestamptz)
        from {{ ref('stg_retention__runs') }}
    )
{%- endmacro -%}


{#-
    The first period an aggregate mart may still rebuild from its tasks: a period whose
    figures read its own days and `days_read_before` days before them is unsealed when all
    of those days are at or after detail_kept_from(). period_type 'timestamp' gives a
    timestamptz (periods that start at a moment), 'date' a UTC date.
-#}
{%- macro first_unsealed_period(period_type='timestamp', days_read_before=0) -%}
    {%- if days_read_before is not integer or days_read_before < 0 -%}
        {{ exceptions.raise_compiler_error(
            "first_unsealed_period: days_read_before must be a whole number >= 0"
        ) }}
    {%- endif -%}
    {%- if period_type == 'date' -%}
        ({{ utc_date(detail_kept_from()) }} + {{ days_read_before }})
    {%- elif period_type == 'timestamp' -%}
        ({{ detail_kept_from() }} + interval '{{ days_read_before }} days')
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "first_unsealed_period: period_type is 'date' or 'timestamp', got " ~ period_type
        ) }}
    {%- endif -%}
{%- endmacro -%}
