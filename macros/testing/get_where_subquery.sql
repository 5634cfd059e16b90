{#-
    dbt's get_where_subquery, through which every generic data test reads the relation it
    tests, overridden to let `routing-analytics run` test what it changed at the cost of the
    change. The run sets ANALYTICS_CHANGED_SINCE: the newest input the live marts hold (an
    environment variable, read only when executing: a var that changes on every run would
    make dbt parse the whole project again). A test of a relation whose rows carry a build's
    stamp (documented column `_inputs_staged_at` in the task marts and the per-task
    intermediate tables, `_staged_at` in staging) then reads only the rows stamped after
    it: those this run built. Unique indexes still
    guard every row of those relations against duplicates. Without it (`routing-analytics
    build`, `check`, make test, CI) every test reads every row, and the data-quality gates
    (tag data_quality) always do.
-#}
{%- macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set stamp = changed_rows_stamp(relation) -%}
    {%- if stamp is not none -%}
        {%- do conditions.append(
            adapter.quote(stamp) ~ ' > cast('
            ~ dbt.string_literal(env_var('ANALYTICS_CHANGED_SINCE')) ~ ' as timestamptz)'
        ) -%}
    {%- endif -%}
    {%- if not conditions -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- do return(
        '(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery'
    ) -%}
{%- endmacro -%}


{#- The stamp column of the tested relation when this test may read only the changed rows,
    else none. -#}
{%- macro changed_rows_stamp(relation) -%}
    {%- if not execute or env_var('ANALYTICS_CHANGED_SINCE', '') == ''
        or 'data_quality' in model.tags -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- for unique_id in model.depends_on.nodes -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- if node is not none and (node.alias or node.name) == relation.identifier -%}
            {%- for column in ['_inputs_staged_at', '_staged_at'] -%}
                {%- if column in node.columns -%}
                    {%- do return(column) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro -%}
