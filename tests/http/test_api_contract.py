"""Contract tests generated from the live server's OpenAPI document (schemathesis).

Every operation is called with generated parameters, valid (positive) and invalid (negative);
every response must be a non-5xx whose status, content type, headers and body conform to the
document, and invalid input must be rejected with a 4xx.

(schemathesis' lazy pytest fixture integration does not work with pytest 9, so the operations
are driven through its Python API: one pytest case per operation and generation mode.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

OPERATIONS = [
    "GET /api/v1/search",
    "GET /api/v1/entities/{id}",
    "GET /api/v1/entities/{id}/articles",
    "GET /api/v1/conditions/{id}/treatments",
    "GET /api/v1/treatments/{id}/adverse-effects",
    "GET /api/v1/treatments/{id}/mechanisms",
    "GET /api/v1/articles",
    "GET /api/v1/articles/{id}",
    "GET /api/v1/articles/{id}/related",
    "GET /api/v1/related",
    "POST /api/v1/suggest",
    "GET /api/v1/proposals",
    "GET /api/v1/proposals/{id}",
    # The change feed: without Accept: text/event-stream, JSON pages (no stream is opened).
    "GET /api/v1/changes",
    "GET /api/v1/changes/{change}",
]


@pytest.fixture(scope="module")
def api_operations(server):
    schema = schemathesis.openapi.from_url(server.url + "/api/v1/openapi.json")
    operations = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations[f"{operation.method.upper()} {operation.path}"] = operation
    return operations


# Editor and history operations (docs/editing.md): listed, not fuzzed here — the shared server
# is read-only; tests/http/test_editing.py drives them on a server of its own.
EDITING_OPERATIONS = [
    "POST /api/v1/edit/entities",
    "GET /api/v1/edit/entities/{id}",
    "PUT /api/v1/edit/entities/{id}",
    "PATCH /api/v1/edit/entities/{id}",
    "POST /api/v1/edit/entities/{id}/deprecate",
    "POST /api/v1/edit/articles",
    "GET /api/v1/history",
    "GET /api/v1/history/{change}",
    "POST /api/v1/history/{change}/revert",
    "POST /api/v1/edit/entities/{id}/merge-into/{target}",
    "GET /api/v1/edit/articles/{id}/related",
    "PUT /api/v1/edit/articles/{id}/related",
    "POST /api/v1/proposals",
    "POST /api/v1/proposals/{id}/approve",
    "POST /api/v1/proposals/{id}/reject",
    "POST /api/v1/releases",
]


def test_document_lists_every_operation(api_operations):
    assert sorted(api_operations) == sorted(OPERATIONS + EDITING_OPERATIONS)


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize("name", OPERATIONS)
def test_operation_conforms(api_operations, server, name, mode):
    operation = api_operations[name]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(base_url=server.url)

    run()
