"""Schemathesis against the API's own OpenAPI document, in-process through the WSGI app:
generated requests (valid and invalid) never get a 5xx, and every response matches the schema
(status code documented, content type, body)."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from tests.app import factories as f

OPENAPI = "/api/v1/openapi.json"
EXAMPLES_PER_OPERATION = 40


def _auth_headers(w) -> dict:
    return {"Authorization": f"Bearer {f.api_token(w.referrer.municipality)}"}


def test_api_answers_every_generated_request_within_its_schema_and_never_with_a_5xx(app, client):
    assert client.get(OPENAPI).status_code == 200, f"{OPENAPI} must describe the API"
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    w = f.world()
    headers = _auth_headers(w)
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operation"
    failures, statuses = [], Counter()
    for operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call_and_validate(headers=headers, checks=checks)
            statuses[(operation.label, response.status_code // 100)] += 1

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # schemathesis raises a FailureGroup; collect every operation's first failure, then report them all
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
    # The token works and generated bodies reach the handlers: some requests succeed.
    assert any(kind == 2 for (_label, kind) in statuses), dict(statuses)
