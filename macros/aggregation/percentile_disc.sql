{#-
    The exact `fraction` percentile of `column` over the rows of the group (nearest rank: the
    smallest observed value whose cumulative share reaches the fraction), optionally over the
    rows matching `where` only. An observed value, never interpolated: a p95 of durations is a
    duration some task really took. PostgreSQL's ordered-set aggregate percentile_disc.
-#}
{%- macro percentile_disc(fraction, column, where=none) -%}
    {%- if fraction is not number or fraction < 0 or fraction > 1 -%}
        {{ exceptions.raise_compiler_error(
            "percentile_disc: fraction must be a number in [0, 1], got " ~ fraction
        ) }}
    {%- endif -%}
    percentile_disc({{ fraction }}) within group (order by {{ column }})
    {%- if where is not none %} filter (where {{ where }}){% endif %}
{%- endmacro -%}
