"""make bench's report of where a run spent its time: the slowest dbt nodes of its output."""

from __future__ import annotations

from routing_analytics.tools.bench_runs import slowest_nodes

# dbt's own lines, colours included, as `routing-analytics run` passes them on.
DBT_OUTPUT = """\
\x1b[0m03:15:19  39 of 62 START sql incremental model int.int_task_executions_costed .. [RUN]
\x1b[0m03:15:19  39 of 62 OK created sql incremental model int.int_task_executions_costed  [\x1b[32mSELECT 1388\x1b[0m in 0.45s]
\x1b[0m03:15:21  56 of 62 OK created sql incremental model analytics_next.provider_performance  [\x1b[32mSELECT 300\x1b[0m in 2.38s]
\x1b[0m03:15:22  60 of 62 PASS assert_every_generic_test_passes ........................ [\x1b[32mPASS\x1b[0m in 0.85s]
\x1b[0m03:15:22  61 of 62 WARN 59394 dq_cost_actual_above_baseline ........................ [\x1b[33mWARN 59394\x1b[0m in 0.98s]
run: check (analytics_next) [19.3 s]
"""  # noqa: E501


def test_the_slowest_nodes_come_first_with_their_seconds():
    assert slowest_nodes(DBT_OUTPUT, count=3) == [
        ("analytics_next.provider_performance", 2.38),
        ("dq_cost_actual_above_baseline", 0.98),
        ("assert_every_generic_test_passes", 0.85),
    ]


def test_output_without_dbt_nodes_names_none():
    assert slowest_nodes("run: done in 19 s\n") == []
