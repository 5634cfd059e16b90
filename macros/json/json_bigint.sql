{#-
    Top-level key of a JSON object column as bigint, or null when it is not a whole number
    (within ±10^18): a JSON number is converted directly (no regex, the common case), a
    string goes through try_cast_bigint.
-#}
{%- macro json_bigint(json_column, key) -%}
    {%- set value = json_value(json_column, key) -%}
    case jsonb_typeof({{ value }})
        when 'number' then case
            when
                cast({{ value }} as numeric) = trunc(cast({{ value }} as numeric))
                and abs(cast({{ value }} as numeric)) < 1e18
                then cast(cast({{ value }} as numeric) as bigint)
        end
        when 'string' then {{ try_cast_bigint('(' ~ value ~ ' #>> ' ~ "'{}')") }}
    end
{%- endmacro -%}
