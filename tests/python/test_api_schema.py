"""A bounded property-based run of the API's own OpenAPI document (schemathesis): whatever a
client sends within, or just outside, what the document allows, no route answers 500, and
every answer conforms to the document (status, content type, schema)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from conftest import Warehouse, cli, copy_of, running_service
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, AuthContext, GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

pytestmark = pytest.mark.integration

EXAMPLES_PER_ROUTE = 40


@dataclass(frozen=True)
class Fuzzed:
    base_url: str
    ingest_key: str
    tenant_token: str


@pytest.fixture(scope="module")
def fuzzed(api_warehouse: Warehouse, server_url, tmp_path_factory) -> Iterator[Fuzzed]:
    """A copy of the API warehouse of its own (the ingest route lands what it is sent)."""
    with copy_of(api_warehouse, server_url, tmp_path_factory.mktemp("fuzzed")) as copied:
        key = cli(copied.env, "ingest-key", "--name", "fuzz")
        token = cli(copied.env, "token", "--tenant", "tenant_0001")
        assert key.returncode == token.returncode == 0, key.stderr + token.stderr
        with running_service(copied.env) as base_url:
            yield Fuzzed(base_url, key.stdout.strip(), token.stdout.strip())


@schemathesis.serializer("application/x-ndjson")
def ndjson(_: schemathesis.SerializationContext, value: object) -> bytes:
    """The document's body is a string of lines; anything else generated goes as JSON."""
    return value.encode() if isinstance(value, str) else json.dumps(value, default=str).encode()


# Their window (`from`, `to`) may span at most MAX_DAYS: a rule between two parameters that
# the document cannot state, so a schema-valid pair may rightly get 422.
CROSS_PARAMETER_RULES = {"/v1/usage", "/v1/tasks"}
# Its body is bytes on the wire: a "non-string" body is still lines, rightly landed or
# quarantined (200), never refused; its parameters are still fuzzed and every answer checked.
ANY_BYTES_ACCEPTED = "/v1/ingest/{stream}"


def fuzz(operation: APIOperation, mode: GenerationMode, fuzzed: Fuzzed) -> None:
    """EXAMPLES_PER_ROUTE generated requests to one operation, each answer validated."""
    excluded = [positive_data_acceptance] if operation.path in CROSS_PARAMETER_RULES else []
    if operation.path == ANY_BYTES_ACCEPTED:
        excluded.append(negative_data_rejection)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=fuzzed.base_url, excluded_checks=excluded, timeout=60)

    call()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_route_answers_500_or_outside_its_document(fuzzed: Fuzzed, mode: GenerationMode):
    """Every operation of the document, valid requests then invalid ones, derandomised so
    that a failure repeats; all routes are run and every failure is reported at the end.
    Credentials are given to schemathesis as an auth provider, so that a request it sends
    without them on purpose goes without them."""
    schema = schemathesis.openapi.from_url(fuzzed.base_url + "/openapi.json")

    @schema.auth(refresh_interval=None)
    class Credentials:
        def get(self, case: schemathesis.Case, context: AuthContext) -> str:
            ingest = context.operation.path.startswith("/v1/ingest/")
            return fuzzed.ingest_key if ingest else fuzzed.tenant_token

        def set(self, case: schemathesis.Case, data: str, context: AuthContext) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: dict[str, str] = {}
    fuzzed_routes = []
    for operation in operations:
        try:
            fuzz(operation, mode, fuzzed)
        except Unsatisfiable:  # a route without parameters has no invalid request
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue
        except Exception as failure:  # every route is run, then all reported
            failures[operation.label] = str(failure)[:3000]
        fuzzed_routes.append(operation.label)
    assert len(fuzzed_routes) >= 8, fuzzed_routes
    assert not failures, "\n\n".join(f"{label}:\n{why}" for label, why in failures.items())
