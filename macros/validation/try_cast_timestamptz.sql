{#-
    An RFC 3339 timestamp text (with offset) as timestamptz, or null when it is not one.
    `expression` should be a column (it is evaluated more than once).
-#}
{%- macro try_cast_timestamptz(expression) -%}
    {#- Shape first (offset required, fields in range), with a regex: cheap and never raises.
        Days 01-28 with a 4-digit year from 0001 and an offset up to 14:59 always exist, so
        those are cast inline; the rest (days 29-31, year 0000, large offsets) go through the
        plpgsql helper, which returns null instead of raising. Plain string tests, not a
        second regex: PostgreSQL's per-call regex cost dominates on short texts. -#}
    case
        when {{ expression }} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$'
            then case
                when substr({{ expression }}, 9, 2) <= '28'
                    and substr({{ expression }}, 1, 4) <> '0000'
                    and (right({{ expression }}, 1) in ('Z', 'z') or left(right({{ expression }}, 5), 2) < '15')
                    then cast({{ expression }} as timestamptz)
                else {{ adapter.quote(var('util_schema')) }}.try_cast_timestamptz({{ expression }})
            end
    end
{%- endmacro -%}
