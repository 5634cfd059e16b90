{#-
    The first non-null of the named columns, in the order given: `coalesce(a, b, c)`.
    The base models use it to pick the first broken rule as `rejection_reason`.
-#}
{%- macro coalesce_columns(columns) -%}
    {%- if columns | length == 0 -%}
        {{ exceptions.raise_compiler_error('coalesce_columns needs at least one column') }}
    {%- endif -%}
    coalesce({{ columns | join(', ') }})
{%- endmacro -%}
