-- Fails on every task (tenant_id, task_execution_id) that is in int_task_executions_costed
-- but not exactly once in int_task_executions_with_savings, or in the savings model but not
-- costed. In `routing-analytics run` (ANALYTICS_CHANGED_SINCE set), the check costs as much
-- as the change: the task keys it can have changed (macro task_keys_found_once). `build`,
-- `check`, make test and CI check every task.
-- depends_on: {{ ref('base_router__task_executions') }}
-- depends_on: {{ ref('int_task_executions_costed') }}
-- depends_on: {{ ref('int_task_executions_with_savings') }}
{{ task_keys_found_once(
    'int_task_executions_costed',
    'int_task_executions_with_savings',
    computed_in=['int_task_executions_costed', 'int_task_executions_with_savings'],
    expected_flag='is_costed',
    found_rows='savings_rows',
) }}
