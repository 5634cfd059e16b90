{#-
    A subquery (aliased `alias`) of the rows of `relation` that belong to the tasks `task_keys`
    names (SQL of distinct (tenant_id, task_execution_id) pairs): each task is read on its
    own, by the index on (tenant_id, task_execution_id), so that an incremental build reads
    what changed whatever the size of `relation`. PostgreSQL keeps its estimate of the keys
    (planned for many, on purpose: see tasks_changed_since_last_build), and with a plain
    `in (...)` it would therefore read the whole relation to find them.
-#}
{%- macro rows_of_task_keys(task_keys, relation, alias) -%}
    (
        select task_rows.*
        from ({{ task_keys }}) as task_keys
        cross join lateral (
            select keyed_rows.*
            from {{ relation }} as keyed_rows
            where
                keyed_rows.tenant_id = task_keys.tenant_id
                and keyed_rows.task_execution_id = task_keys.task_execution_id
            {{ optimization_fence() }}
        ) as task_rows
    ) as {{ alias }}
{%- endmacro -%}
