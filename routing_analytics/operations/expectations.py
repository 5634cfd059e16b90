"""The Great Expectations suite: the landed raw data and the published marts as a contract.

dbt tests guard each model's logic; this suite states what a consumer may rely on in what we
land and publish. Ephemeral context: nothing is written unless Data Docs are asked for.
Imported lazily (Great Expectations costs about 2 s to import).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.checkpoint import UpdateDataDocsAction

from routing_analytics.operations.changed_rows import ChangedRows

STATUSES = ["completed", "failed", "timeout", "cancelled"]
RAW_STREAMS = [
    "task_executions",
    "routing_decisions",
    "provider_pricing",
    "usage_events",
    "tenants",
]


@dataclass(frozen=True)
class ExpectationResult:
    relation: str
    expectation: str
    column: str | None
    success: bool
    unexpected: int


def suites(schema: str) -> dict[tuple[str, str], list[gxe.Expectation]]:
    """(schema, table) -> expectations; `schema` is where the marts are."""
    contract: dict[tuple[str, str], list[gxe.Expectation]] = {
        ("raw", stream): [
            gxe.ExpectColumnValuesToNotBeNull(column="record"),
            gxe.ExpectColumnValuesToNotBeNull(column="_load_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="_loaded_at"),
        ]
        for stream in RAW_STREAMS
    }
    contract[(schema, "task_executions")] = [
        gxe.ExpectColumnValuesToBeUnique(column="id"),
        gxe.ExpectColumnValuesToNotBeNull(column="tenant_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="timestamp_start"),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES),
        gxe.ExpectColumnValuesToBeInSet(
            column="cost_source", value_set=["reported", "computed", "unpriced"]
        ),
        gxe.ExpectColumnValuesToBeBetween(column="cost_actual", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="cost_baseline", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="duration_ms", min_value=0),
    ]
    contract[(schema, "customer_roi_snapshots")] = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["tenant_id", "snapshot_date"]),
        # A loss is shown as a loss: shown savings may be negative, never above the exact.
        gxe.ExpectColumnValuesToBeBetween(column="savings_percentage_30d", max_value=100),
        _never_rounded_up("total_savings_30d_exact_usd", "total_savings_30d"),
        gxe.ExpectColumnValuesToBeInSet(
            column="cost_trend", value_set=["increasing", "decreasing", "stable"]
        ),
    ]
    contract[(schema, "usage_analytics")] = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["tenant_id", "date"]),
        _never_rounded_up("completed_savings_exact_usd", "total_savings"),
        gxe.ExpectColumnValuesToBeBetween(column="new_users", min_value=0),
    ]
    contract[(schema, "provider_performance")] = [
        gxe.ExpectColumnValuesToBeBetween(column="success_rate", min_value=0, max_value=100),
        gxe.ExpectColumnValuesToBeInSet(
            column="aggregation_level", value_set=["hourly", "daily", "weekly", "monthly"]
        ),
    ]
    return contract


def sqlalchemy_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(scheme="postgresql+psycopg"))


def validate(
    database_url: str,
    schema: str,
    data_docs_dir: Path | None = None,
    changed: ChangedRows | None = None,
) -> list[ExpectationResult]:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_postgres(
        "warehouse", connection_string=sqlalchemy_url(database_url)
    )
    definitions = []
    for (table_schema, table), expectations in suites(schema).items():
        name = f"{table_schema}.{table}"
        if changed is not None and table_schema == "raw":
            asset = source.add_query_asset(name, query=changed.raw_rows(table))
        elif changed is not None and table == "task_executions":
            asset = source.add_query_asset(name, query=changed.task_rows(name))
        else:
            asset = source.add_table_asset(name, table_name=table, schema_name=table_schema)
        suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(
                    name=name,
                    data=asset.add_batch_definition_whole_table("every row"),
                    suite=suite,
                )
            )
        )
    actions = []
    if data_docs_dir is not None:
        context.add_data_docs_site(
            site_name="warehouse",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(data_docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        actions.append(UpdateDataDocsAction(name="data_docs"))
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="warehouse_contract", validation_definitions=definitions, actions=actions
        )
    )
    outcome = checkpoint.run()
    results = []
    for run in outcome.run_results.values():
        relation = run.suite_name
        for result in run.results:
            config = result.expectation_config
            results.append(
                ExpectationResult(
                    relation=relation,
                    expectation=config.type,
                    column=config.kwargs.get("column"),
                    success=bool(result.success),
                    unexpected=int(result.result.get("unexpected_count") or 0),
                )
            )
    return results


def _never_rounded_up(exact: str, shown: str) -> gxe.ExpectColumnPairValuesAToBeGreaterThanB:
    """The shown figure is the exact one floored: never above it (rows without an exact
    figure show 0 and are left out)."""
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=exact, column_B=shown, or_equal=True, ignore_row_if="either_value_is_missing"
    )
