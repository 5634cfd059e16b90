-- Fails on every task (tenant_id, task_execution_id) that is in stg_router__task_executions
-- but not exactly once in int_task_executions_costed, or in int_task_executions_costed but
-- not in staging. In `routing-analytics run` (ANALYTICS_CHANGED_SINCE set), the check costs
-- as much as the change: the task keys it can have changed (macro task_keys_found_once).
-- `build`, `check`, make test and CI check every task.
-- depends_on: {{ ref('base_router__task_executions') }}
-- depends_on: {{ ref('int_task_executions_costed') }}
{{ task_keys_found_once(
    'stg_router__task_executions',
    'int_task_executions_costed',
    computed_in=['int_task_executions_costed'],
    expected_flag='is_staged',
    found_rows='costed_rows',
) }}
