{#-
    The largest number with `places` decimals that is not above numerator / denominator,
    exactly: PostgreSQL rounds a numeric quotient to its result scale, so floor(n / d) (and
    floor_to_places(n / d, places)) can come out one step too high when the quotient lies
    just under a step. Here the floored quotient q of the scaled numerator is lowered by one
    step whenever q * denominator passes the numerator (checked with exact multiplication).
    The numerator is cast to numeric first (integer operands would otherwise divide as
    integers and floor() would go through double precision). Null when the denominator is 0
    or null (safe_divide). Integer-valued for places = 0.
-#}
{%- macro floor_quotient(numerator, denominator, places=0) -%}
    {%- if numerator is none or denominator is none
        or (numerator | string | trim | length == 0)
        or (denominator | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error(
            "floor_quotient: numerator and denominator must be SQL expressions"
        ) }}
    {%- endif -%}
    {%- if places is not integer or places < 0 -%}
        {{ exceptions.raise_compiler_error(
            "floor_quotient: places must be a whole number >= 0, got " ~ places
        ) }}
    {%- endif -%}
    {%- set scaled = 'cast(' ~ numerator ~ ' as numeric) * ' ~ (10 ** places) -%}
    {%- set quotient_floor = 'floor(' ~ safe_divide(scaled, denominator) ~ ')' -%}
    (
        {{ quotient_floor }}
        - case
            when ({{ denominator }}) > 0
                and {{ quotient_floor }} * ({{ denominator }}) > {{ scaled }} then 1
            when ({{ denominator }}) < 0
                and {{ quotient_floor }} * ({{ denominator }}) < {{ scaled }} then 1
            else 0
        end
    ){% if places > 0 %} * 0.{{ '0' * (places - 1) }}1{% endif %}
{%- endmacro -%}
