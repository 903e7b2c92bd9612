"""The OpenAPI document at /api/v1/_openapi (issue 17): served to every system role outside
production, valid OpenAPI 3, describing every route the app serves under /api/v1 (read from
Flask's own URL map, not listed here), the transition routes from the transition table."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from app.security import API_DOCS, ROLES, wanted_permissions
from app.workflow import TRANSITIONS
from tests.people import ACCOUNTS

SYSTEM_ROLE_ACCOUNTS = sorted({role: name for name, role in ACCOUNTS.items()
                               if role in ROLES}.values())


def _served_api_routes(app) -> set[tuple[str, str]]:
    """(path as OpenAPI writes it, method) of every rule under /api/v1."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


@pytest.mark.parametrize("username", SYSTEM_ROLE_ACCOUNTS)
def test_every_role_reads_a_valid_document_of_every_route(app, login, username):
    document = login(username).get("/api/v1/_openapi").get_json()
    validate(document)
    documented = {(path, method) for path, operations in document["paths"].items()
                  for method in operations}
    assert _served_api_routes(app) - documented == set()


def test_each_transition_says_what_it_requires(app, login):
    operations = login("reviewer").get("/api/v1/_openapi").get_json()["paths"]
    for transition in TRANSITIONS:
        operation = operations[f"/api/v1/application/{{pk}}/{transition.name}"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        required = {name for part in body.get("allOf", []) for name in part.get("required", [])}
        assert ("reason" in required) == transition.reason, transition.name
        assert ("confirm" in required) == bool(transition.requires), transition.name
        assert set(operation["responses"]) >= {"200", "403", "404", "409", "422"}
        if transition.prechecks:
            assert "details.prechecks" in operation["description"]
    forward = operations["/api/v1/application/{pk}/forward"]["post"]
    assert "企业用户" in forward["description"] and "pledge" in forward["description"]


def test_the_document_needs_a_sign_in(app):
    response = app.test_client().get("/api/v1/_openapi")
    assert response.status_code == 401 and response.is_json


def test_swagger_ui_is_served_from_this_site(app, login):
    page = login("prac_a").get("/swagger/v1").get_data(as_text=True)
    assert "/static/appbuilder/js/swagger-ui-bundle.js" in page and "validatorUrl: null" in page
    assert "https://" not in page.split("<body", 1)[1]


def test_in_production_no_system_role_is_given_the_document(app):
    docs = {(perm, view) for view, perms in API_DOCS.items() for perm in perms}
    assert all(docs <= wanted_permissions(app.appbuilder, spec) for spec in ROLES.values())
    app.config["PRODUCTION"] = True
    try:
        assert not any(docs & wanted_permissions(app.appbuilder, spec) for spec in ROLES.values())
    finally:
        app.config["PRODUCTION"] = False
