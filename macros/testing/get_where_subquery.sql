{#-
    dbt's get_where_subquery, through which every generic data test reads the relation it
    tests, overridden to let `routing-analytics run` test what it changed at the cost of the
    change. The run sets ANALYTICS_CHANGED_SINCE: the newest input the live marts hold (an
    environment variable, read only when executing: a var that changes on every run would
    make dbt parse the whole project again). A test of a relation whose rows carry a build's
    stamp (documented column `_inputs_staged_at` in the task marts and the per-task
    intermediate tables, `_staged_at` in staging and int_rejected_records) then reads only
    the rows stamped after it: those this run built. Unique indexes still guard every row
    of those relations against duplicates. The review gates of the task mart (tag
    data_quality, severity warn: they count and list, never block) are scoped alike, so a
    run's monitoring counts what it added; the rate gates, which decide the publish, are
    singular tests that judge the unpublished loads. Without it (`routing-analytics build`,
    `check`, make test, CI) every test reads every row.
-#}
{%- macro default__get_where_subquery(relation) -%}
    {%- do return(rows_under_test(relation, model, tested_parent(relation))) -%}
{%- endmacro -%}


{#- The graph node of the relation this test reads, among the test's parents (none when
    parsing). -#}
{%- macro tested_parent(relation) -%}
    {%- for unique_id in model.depends_on.nodes if execute -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- if node is not none and (node.alias or node.name) == relation.identifier -%}
            {%- do return(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro -%}


{#- The rows of `relation` that the generic test `test_node` reads: its `where` config, and
    the rows stamped after ANALYTICS_CHANGED_SINCE when the tested node carries a stamp. -#}
{%- macro rows_under_test(relation, test_node, tested_node) -%}
    {%- set conditions = [] -%}
    {%- set where = test_node.config.get('where') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set stamp = changed_rows_stamp(tested_node) -%}
    {%- if stamp is not none -%}
        {%- do conditions.append(adapter.quote(stamp) ~ ' > ' ~ run_changed_since()) -%}
    {%- endif -%}
    {%- if not conditions -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- do return(
        '(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery'
    ) -%}
{%- endmacro -%}


{#- The stamp column of the tested node when the test may read only the changed rows, else
    none. -#}
{%- macro changed_rows_stamp(tested_node) -%}
    {%- if tested_node is none or run_changed_since() is none -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- for column in ['_inputs_staged_at', '_staged_at'] -%}
        {%- if column in tested_node.columns -%}
            {%- do return(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro -%}


{#- When `routing-analytics run` tests what it changed: ANALYTICS_CHANGED_SINCE as a SQL
    timestamptz; else (parsing, build, check, make test, CI) none. Read only when executing:
    dbt parses again every file whose parse read an environment variable that changed. -#}
{%- macro run_changed_since() -%}
    {%- set changed_since = env_var('ANALYTICS_CHANGED_SINCE', '') if execute else '' -%}
    {%- if changed_since == '' -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return('cast(' ~ dbt.string_literal(changed_since) ~ ' as timestamptz)') -%}
{%- endmacro -%}
