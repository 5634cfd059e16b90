{#-
    Ends a CTE's select so that the database computes its columns once per row instead of
    inlining the CTE into every reference. PostgreSQL inlines single-use CTEs and substitutes
    each column's whole expression wherever it is used, so a typed column that five rules
    read would run its regex and cast five times; `offset 0` keeps the subquery as it is
    (no materialisation, rows still stream).
-#}
{%- macro optimization_fence() -%}
    offset 0
{%- endmacro -%}
