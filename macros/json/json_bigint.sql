{#-
    Top-level key of a JSON object column as bigint, or null when it is not a whole number
    (within ±10^18). A JSON number's text (->>) is its exact decimal, never an exponent, so
    numbers and strings take the same path: try_cast_bigint's cheap digits test first. That
    is about twice as fast as converting the JSON number to numeric four times.
-#}
{%- macro json_bigint(json_column, key) -%}
    {{ try_cast_bigint('(' ~ json_column ~ ' ->> ' ~ dbt.string_literal(dbt.escape_single_quotes(key)) ~ ')') }}
{%- endmacro -%}
