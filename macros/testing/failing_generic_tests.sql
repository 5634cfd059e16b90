{#-
    One query for every error-severity generic data test of the project: a row per test that
    fails, with its name and the rows it fails on (dbt's own count of that test's rows).
    `routing-analytics run` runs it instead of the tests themselves (one dbt node instead of
    about 340, each costing about 30 ms of dbt's Python whatever the rows it reads); each
    test reads its relation through rows_under_test, as it would on its own. The caller must
    depend on every tested relation: a test whose relation is not among its ancestors stops
    the compilation, so a new model cannot be left out unnoticed.
-#}
{%- macro failing_generic_tests(caller_node) -%}
    {%- if not execute -%}
        {%- do return('select null as test_name, 0 as failing_rows where false') -%}
    {%- endif -%}
    {%- set ancestors = ancestors_of(caller_node) -%}
    {%- set branches = [] -%}
    {%- for test_node in graph.nodes.values() | sort(attribute='unique_id')
        if test_node.resource_type == 'test' and test_node.test_metadata
        and test_node.config.severity | lower == 'error' -%}
        {%- do require_default_failure_rules(test_node) -%}
        {%- set tested = graph_node_built_before(test_node.attached_node, ancestors, test_node) -%}
        {%- set arguments = {} -%}
        {%- for name, value in test_node.test_metadata.kwargs.items() if name != 'model' -%}
            {%- do arguments.update({name: rendered_argument(value, ancestors, test_node)}) -%}
        {%- endfor -%}
        {%- do arguments.update({'model': rows_under_test(relation_of(tested), test_node, tested)}) -%}
        {%- set test_macro = context['test_' ~ test_node.test_metadata.name] -%}
        {%- do branches.append(
            'select ' ~ "'" ~ test_node.name | replace("'", "''") ~ "'"
            ~ ' as test_name, count(*) as failing_rows'
            ~ ' from (\n' ~ test_macro(**arguments) ~ '\n) as ' ~ adapter.quote('test_' ~ loop.index)
        ) -%}
    {%- endfor -%}
    {%- do return(
        'select test_name, failing_rows from (\n'
        ~ branches | join('\n    union all\n')
        ~ '\n) as generic_tests where failing_rows > 0 order by test_name'
    ) -%}
{%- endmacro -%}


{#- Every node `node` depends on, directly or not (unique ids). -#}
{%- macro ancestors_of(node) -%}
    {%- set found = node.depends_on.nodes | list -%}
    {#- Jinja iterates the list itself, so the parents appended here are visited too. -#}
    {%- for unique_id in found -%}
        {%- set parent = graph.nodes.get(unique_id) -%}
        {%- for grandparent in (parent.depends_on.nodes if parent and parent.depends_on else [])
            if grandparent not in found -%}
            {%- do found.append(grandparent) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- do return(found) -%}
{%- endmacro -%}


{#- The graph node `unique_id`, which must be among `ancestors` (built before the caller). -#}
{%- macro graph_node_built_before(unique_id, ancestors, test_node) -%}
    {%- if unique_id not in ancestors -%}
        {{ exceptions.raise_compiler_error(
            test_node.name ~ " tests " ~ unique_id ~ ", which the query of every generic test"
            ~ " does not depend on: add a `-- depends_on: ref(...)` of it (or of a model built"
            ~ " from it) to tests/assert_every_generic_test_passes.sql"
        ) }}
    {%- endif -%}
    {%- do return(graph.nodes[unique_id]) -%}
{%- endmacro -%}


{#- A test argument as dbt renders it for the test: `ref('name')` becomes that relation, a
    whole `{{ var('name') }}` the var's value (a list stays a list), other Jinja a string. -#}
{%- macro rendered_argument(value, ancestors, test_node) -%}
    {%- if value is not string -%}
        {%- do return(value) -%}
    {%- elif value.startswith("ref('") and value.endswith("')") -%}
        {%- set name = value[5:-2] -%}
        {%- for unique_id in ancestors if graph.nodes[unique_id].name == name -%}
            {%- do return(relation_of(graph.nodes[unique_id])) -%}
        {%- endfor -%}
    {%- elif value.startswith("{{ var('") and value.endswith("') }}") and value.count('{{') == 1 -%}
        {%- do return(var(value[8:-5])) -%}
    {%- elif not modules.re.match('\\s*(env_var|ref|var|source|doc)\\s*\\(', value) -%}
        {%- do return(render(value) | trim) -%}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        test_node.name ~ ": the query of every generic test cannot render the argument " ~ value
        ~ " (a ref must be among the nodes it depends on)"
    ) }}
{%- endmacro -%}


{#- The relation a graph node (model, seed or snapshot) is built as. -#}
{%- macro relation_of(node) -%}
    {%- do return(api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias or node.name
    )) -%}
{%- endmacro -%}


{#- The query counts each test's rows as dbt does by default: a test that counts otherwise
    must stay on its own. -#}
{%- macro require_default_failure_rules(test_node) -%}
    {%- set config = test_node.config -%}
    {%- if config.fail_calc != 'count(*)' or config.error_if != '!= 0' or config.limit is not none -%}
        {{ exceptions.raise_compiler_error(
            test_node.name ~ " sets fail_calc, error_if or limit: the query of every generic"
            ~ " test counts rows as dbt's defaults do; give it severity warn or support it here"
        ) }}
    {%- endif -%}
{%- endmacro -%}
