{#-
    Singular test body: every task (tenant_id, task_execution_id) of `expected_model` is in
    `found_model` exactly once, and `found_model` has no other task. Returns one row per task
    that breaks it: its key, `expected_flag` (whether the expected model has it) and
    `found_rows` (how many rows the found model has).
    In `routing-analytics run` (run_changed_since()), only the task keys the run can have
    changed (task_keys_changed_since, with `computed_in`); the callers declare the relations
    that reads with `-- depends_on:`. `build`, `check` and CI check every task.
-#}
{%- macro task_keys_found_once(
    expected_model, found_model, computed_in, expected_flag, found_rows
) -%}
{%- set changed_since = run_changed_since() %}
with

{% if changed_since is not none -%}
task_keys_changed as (
    {{ task_keys_changed_since(changed_since, computed_in) }}
),

{% endif -%}

{% for cte, model in [('expected_keys', expected_model), ('found_keys', found_model)] -%}
{{ cte }} as (
    select
        tasks.tenant_id,
        tasks.task_execution_id
    from {{ ref(model) }} as tasks
    {% if changed_since is not none -%}
    inner join task_keys_changed as changed
        on
            tasks.tenant_id = changed.tenant_id
            and tasks.task_execution_id = changed.task_execution_id
    {% endif -%}
),

{% endfor -%}

found_rows_counted as (
    select
        tenant_id,
        task_execution_id,
        count(*) as found_rows
    from found_keys
    group by tenant_id, task_execution_id
),

final as (
    select
        coalesce(expected.tenant_id, counted.tenant_id) as tenant_id,
        coalesce(expected.task_execution_id, counted.task_execution_id) as task_execution_id,
        expected.task_execution_id is not null as {{ expected_flag }},
        coalesce(counted.found_rows, 0) as {{ found_rows }}
    from expected_keys as expected
    full outer join found_rows_counted as counted
        on
            expected.tenant_id = counted.tenant_id
            and expected.task_execution_id = counted.task_execution_id
    where
        expected.task_execution_id is null
        or counted.found_rows is distinct from 1
)

select * from final
{%- endmacro -%}
