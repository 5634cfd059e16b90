{#-
    A surrogate key: the md5 (dbt.hash) of the given SQL expressions cast to text, joined with
    '|', a null rendered as '<null>' so that (null, 'a') and ('', 'a') differ from each other
    and a null part never makes the whole key null. Pass timestamps in a time-zone independent
    form (e.g. epoch milliseconds via timestamp_diff_ms): their text form depends on the
    session time zone.
-#}
{%- macro surrogate_key(expressions) -%}
    {%- if expressions is string or expressions is not iterable or expressions | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "surrogate_key: expressions must be a non-empty list of SQL expressions"
        ) }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- do parts.append(
            "coalesce(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "), '<null>')"
        ) -%}
        {%- if not loop.last -%}
            {%- do parts.append("'|'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro -%}
