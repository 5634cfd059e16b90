{#-
    The largest number with `places` decimals that is not above `expression`: never rounds
    up, also for negative numbers (PostgreSQL's trunc would round -1.239 up to -1.23).
    Exact: multiplying a numeric by a power of ten (and back) loses nothing.
-#}
{%- macro floor_to_places(expression, places) -%}
    {%- if expression is none or (expression | string | trim | length == 0) -%}
        {{ exceptions.raise_compiler_error("floor_to_places: expression is required") }}
    {%- endif -%}
    {%- if places is not integer or places < 0 -%}
        {{ exceptions.raise_compiler_error(
            "floor_to_places: places must be a whole number >= 0, got " ~ places
        ) }}
    {%- endif -%}
    {#- Multiplied back by 0.0...1, not divided by 10^places: numeric division rounds at
        about 16 significant digits (99.99999999999999999999 would come back as 100). -#}
    cast(
        floor(({{ expression }}) * {{ 10 ** places }})
        * {{ '1' if places == 0 else '0.' ~ '0' * (places - 1) ~ '1' }}
        as numeric(38, {{ places }})
    )
{%- endmacro -%}
