{#-
    SQL query (tenant_id, task_execution_id): the task keys whose rows a run can have changed
    since `changed_since` (a SQL timestamptz, run_changed_since()): every key of which a
    version was (re)staged (new, withdrawn, restored or judged again: the key may have left
    staging), and every key that the models named in `computed_in` (per-task models stamped
    with _inputs_staged_at) computed again, e.g. after a new price or baseline. The per-task
    checks a run scopes to what it changed read these keys only. Its callers name the
    relations it reads with `-- depends_on:` (rendered only when executing a run).
-#}
{%- macro task_keys_changed_since(changed_since, computed_in) -%}
    select
        tenant_id,
        task_execution_id
    from {{ ref('base_router__task_executions') }}
    where _staged_at > {{ changed_since }} and tenant_id is not null
    {%- for model in computed_in %}
    union
    select
        tenant_id,
        task_execution_id
    from {{ ref(model) }}
    where _inputs_staged_at > {{ changed_since }}
    {%- endfor %}
{%- endmacro -%}
