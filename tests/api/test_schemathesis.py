"""Schemathesis against the served document (issue 17): every operation of
/api/v1/_openapi, called on a real threaded server with a token of each system role's
account, with requests generated from the document. No answer may be a server error, and
every answer must be one the document gives for that operation, in its content type and
schema. Bounded: EXAMPLES requests per operation and role, derandomised, so that a run takes
the same cases (about a minute per backend on the 2-core machine)."""
from __future__ import annotations

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.security import ROLES
from tests.logins import api_login_body
from tests.people import ACCOUNTS

EXAMPLES = 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ROLE_ACCOUNTS = sorted({role: name for name, role in ACCOUNTS.items() if role in ROLES}.values())


def _token(app, base: str, username: str) -> str:
    response = requests.post(base + "/api/v1/security/login", timeout=30,
                             json=api_login_body(username, app=app))
    assert response.status_code == 200, (username, response.text)
    return response.json()["access_token"]


def _failures_of(operation, base: str, headers: dict) -> list[str]:
    failures: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(base_url=base, headers=headers, timeout=30)
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as failure:
            failures.append(f"{operation.label} {response.status_code} "
                            f"{type(failure).__name__}: {failure}"[:600])

    run()
    return failures


def test_every_operation_as_every_role_answers_as_documented(live_server):
    base = live_server.url
    tokens = {name: _token(live_server.app, base, name) for name in ROLE_ACCOUNTS}
    document = requests.get(base + "/api/v1/_openapi", timeout=30,
                            headers={"Authorization": f"Bearer {tokens['reviewer']}"}).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(ops) for ops in document["paths"].values())
    failures = []
    for name, token in tokens.items():
        for operation in operations:
            failures += [f"{name}: {failure}" for failure in
                         _failures_of(operation, base, {"Authorization": f"Bearer {token}"})]
    distinct = sorted({failure.split(":", 2)[1] for failure in failures})
    first_of_each = {failure.split(":", 2)[1]: failure for failure in reversed(failures)}
    assert failures == [], "\n".join(distinct + list(first_of_each.values()))
