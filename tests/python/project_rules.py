"""dbt-project-evaluator's rules, checked on dbt's manifest.json without the dbt hub.

Each rule returns the nodes that break it; tests/project_rules.yml lists the accepted
exceptions, each with its reason. Rules (evaluator names in brackets):
- model_naming [fct_model_naming_conventions]: staging models are base_ or stg_, intermediate
  int_; a mart is named as the relation it publishes (no alias, no layer prefix).
- source_outside_staging [fct_marts_or_intermediate_dependent_on_source]: only staging reads
  sources.
- direct_join_to_source [fct_direct_join_to_source]: a model reads sources or models, not
  both.
- staging_dependent_on_staging [fct_staging_dependent_on_staging].
- downstream_of_base: intermediate models and marts read stg_ models, never base_ ones.
- missing_primary_key_test [fct_missing_primary_key_tests]: unique and not_null on one
  column, or unique_combination_of_columns.
- undocumented_model [fct_undocumented_models], undocumented_mart_column.
- source_without_freshness [fct_sources_without_freshness].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Manifest = dict[str, Any]
Rule = Callable[[Manifest], set[str]]


def _models(manifest: Manifest) -> dict[str, dict[str, Any]]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "routing_analytics"
    }


def _layer(node: dict[str, Any]) -> str:
    return node["original_file_path"].split("/")[1]


def _parents(node: dict[str, Any], kind: str) -> list[str]:
    return [
        parent.split(".")[-1]
        for parent in node["depends_on"]["nodes"]
        if parent.split(".")[0] == kind
    ]


LAYER_PREFIXES = {"staging": ("stg_", "base_"), "intermediate": ("int_",)}


def model_naming(manifest: Manifest) -> set[str]:
    wrong = set()
    for name, node in _models(manifest).items():
        layer = _layer(node)
        if layer in LAYER_PREFIXES:
            named_right = name.startswith(LAYER_PREFIXES[layer])
        else:
            prefixes = tuple(p for ps in LAYER_PREFIXES.values() for p in ps)
            named_right = node["config"].get("alias") in (None, name) and not name.startswith(
                prefixes
            )
        if not named_right:
            wrong.add(name)
    return wrong


def source_outside_staging(manifest: Manifest) -> set[str]:
    return {
        name
        for name, node in _models(manifest).items()
        if _layer(node) != "staging" and _parents(node, "source")
    }


def direct_join_to_source(manifest: Manifest) -> set[str]:
    return {
        name
        for name, node in _models(manifest).items()
        if _parents(node, "source") and _parents(node, "model")
    }


def staging_dependent_on_staging(manifest: Manifest) -> set[str]:
    models = _models(manifest)
    return {
        f"{name} <- {parent}"
        for name, node in models.items()
        if _layer(node) == "staging"
        for parent in _parents(node, "model")
        if parent in models and _layer(models[parent]) == "staging"
    }


def downstream_of_base(manifest: Manifest) -> set[str]:
    return {
        f"{name} <- {parent}"
        for name, node in _models(manifest).items()
        if _layer(node) != "staging"
        for parent in _parents(node, "model")
        if parent.startswith("base_")
    }


def missing_primary_key_test(manifest: Manifest) -> set[str]:
    tested: dict[str, dict[str, set[str]]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        attached = node.get("attached_node") or ""
        if not attached.startswith("model."):
            continue
        column = node.get("column_name") or "*"
        kinds = tested.setdefault(attached.split(".")[-1], {})
        kinds.setdefault(column, set()).add(node["test_metadata"]["name"])
    keyed = set()
    for model, columns in tested.items():
        if any({"unique", "not_null"} <= kinds for kinds in columns.values()):
            keyed.add(model)
        if any("unique_combination_of_columns" in kinds for kinds in columns.values()):
            keyed.add(model)
    return set(_models(manifest)) - keyed


def undocumented_model(manifest: Manifest) -> set[str]:
    return {name for name, node in _models(manifest).items() if not node["description"].strip()}


def undocumented_mart_column(manifest: Manifest) -> set[str]:
    return {
        f"{name}.{column}"
        for name, node in _models(manifest).items()
        if _layer(node) == "marts"
        for column, spec in node["columns"].items()
        if not spec["description"].strip()
    }


def source_without_freshness(manifest: Manifest) -> set[str]:
    def fresh(source: dict[str, Any]) -> bool:
        freshness = source.get("freshness") or {}
        return any(
            (freshness.get(level) or {}).get("count") for level in ("warn_after", "error_after")
        )

    return {
        f"{source['source_name']}.{source['name']}"
        for source in manifest["sources"].values()
        if source["package_name"] == "routing_analytics" and not fresh(source)
    }


RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        model_naming,
        source_outside_staging,
        direct_join_to_source,
        staging_dependent_on_staging,
        downstream_of_base,
        missing_primary_key_test,
        undocumented_model,
        undocumented_mart_column,
        source_without_freshness,
    )
}
