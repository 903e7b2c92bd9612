"""The permission matrix over the API (issue 17), generated from what is registered: every
web-screen twin under /api/v1 (WebTwinApi) × every account of the role fixtures. A role
reaches a twin exactly where the security model grants can_list on the twin's screen, and
a row outside its scope answers the same 404, body included, as an id that does not exist.
Nothing here lists the routes by hand."""
from __future__ import annotations

import prison
import pytest
import sqlalchemy as sa

from app.accounts.api_base import WebTwinApi
from app.extensions import db
from tests import logins
from tests.people import ACCOUNTS

STAFF_WITHOUT_BUSINESS = {"sysadmin", "secadmin", "auditor"}  # they manage, never handle cases
EVERYONES = {"my_message", "my_consultation"}  # every signed-in user has messages and questions


def _twins(app) -> list:
    twins = [v for v in app.appbuilder.baseviews if isinstance(v, WebTwinApi)]
    assert len(twins) >= 10
    return twins


def _bearer(app, username: str):
    client = app.test_client()
    return client, {"Authorization": f"Bearer {logins.api_token(client, username)}"}


def _granted(app, username: str) -> set[tuple[str, str]]:
    user = app.appbuilder.sm.find_user(username=username)
    return {(p.permission.name, p.view_menu.name) for role in user.roles
            for p in role.permissions}


@pytest.mark.parametrize("username", sorted(ACCOUNTS))
def test_each_role_reaches_exactly_the_twins_of_its_screens(app, username):
    client, headers = _bearer(app, username)
    granted, reached = _granted(app, username), []
    for api in _twins(app):
        expected = 200 if username == "admin" or \
            ("can_list", api.class_permission_name) in granted else 403
        answer = client.get(f"{api.route_base}/", headers=headers)
        assert answer.status_code == expected, (username, api.route_base, answer.get_json())
        info = client.get(f"{api.route_base}/_info", headers=headers)
        assert info.status_code == expected, (username, api.route_base)
        if expected == 200:
            reached.append(api.resource_name)
    assert set(reached) >= EVERYONES
    assert bool(set(reached) - EVERYONES) == (username not in STAFF_WITHOUT_BUSINESS), reached


def _visible_ids(client, headers, api) -> set[int]:
    query = prison.dumps({"page_size": 100, "page": 0})
    answer = client.get(f"{api.route_base}/?q={query}", headers=headers).get_json()
    assert answer["count"] <= 100  # the fixtures are small: one page is all of them
    return set(answer["ids"])


@pytest.mark.parametrize("username", sorted(ACCOUNTS))
def test_a_row_outside_ones_scope_answers_exactly_like_a_missing_one(app, username):
    client, headers = _bearer(app, username)
    granted, compared = _granted(app, username), 0
    for api in _twins(app):
        if username != "admin" and ("can_list", api.class_permission_name) not in granted:
            continue
        model = api.datamodel.obj
        every = set(db.session.scalars(sa.select(model.id)))
        outside = every - _visible_ids(client, headers, api)
        missing = f"{api.route_base}/{max(every, default=0) + 1000}"
        absent = client.get(missing, headers=headers)
        assert absent.status_code == 404, (username, missing)
        for pk in sorted(outside)[:3]:
            seen = client.get(f"{api.route_base}/{pk}", headers=headers)
            assert (seen.status_code, seen.get_json()) == (404, absent.get_json()), \
                (username, api.route_base, pk)
            compared += 1
    # Every role has rows outside its scope in the fixtures to try: another person's or
    # enterprise's, a draft, or an application in another queue's state.
    assert compared > 0


def _visible_through(app, view, user) -> set[int]:
    """The ids `user` sees through the view's base filters (as its pages and twins do)."""
    from flask import g
    from flask_login import login_user

    with app.test_request_context():
        login_user(user)
        g.user = user
        _count, items = view.datamodel.query(view._base_filters, page=0, page_size=10_000)
        found = {view.datamodel.get_pk_value(item) for item in items}
        db.session.rollback()
    return found


def test_every_id_route_answers_another_rows_id_exactly_like_a_missing_one(app):
    """Every /api/v1 route with an id (reads, the forms' PUT, the answer to a return, the
    certificate PDF), generated from the URL map: tried by the narrowest role that may use
    it, an id of a row outside its scope answers what an id of no row answers. The
    transition routes are generated the same way in tests/applications/test_workflow_matrix.py."""
    from app.accounts.api_forms import FormTwinApi
    from tests.route_support import ROLE_USERS, narrowest_role, routes

    tried = []
    for route in routes(app):
        if not route.is_api or "pk" not in route.arguments or route.view is None:
            continue
        view = route.view
        if isinstance(view, FormTwinApi):
            view = view._web()
        if getattr(view, "datamodel", None) is None:
            continue  # the transition routes: see the docstring
        role = narrowest_role(route)
        username = ROLE_USERS[role]
        if username is None or role == "superuser":
            continue
        user = app.appbuilder.sm.find_user(username=username)
        every = set(db.session.scalars(sa.select(view.datamodel.obj.id)))
        outside = sorted(every - _visible_through(app, view, user))
        if not outside:
            continue  # the role sees every row (the authority's registers)
        client, headers = _bearer(app, username)
        path = route.rule.replace("<int:pk>", "{pk}").replace("<pk>", "{pk}")
        for method in sorted(route.methods):
            def call(pk, method=method, path=path, client=client, headers=headers):
                kwargs = {"json": {}} if method in ("POST", "PUT") else {}
                answer = client.open(path.format(pk=pk), method=method, headers=headers,
                                     **kwargs)
                return answer.status_code, answer.get_json()

            absent = call(max(every) + 1000)
            assert absent[0] == 404, (route.rule, method, username, absent)
            assert call(outside[0]) == absent, (route.rule, method, username, outside[0])
            tried.append((route.rule, method))
    rules = {rule for rule, _ in tried}
    assert {"/api/v1/apply_initial/<pk>", "/api/v1/my_application/<int:pk>/answer",
            "/api/v1/my_registration/<int:pk>/certificate", "/api/v1/my_message/<int:pk>",
            "/api/v1/enterprise_queue/<int:pk>"} <= rules, sorted(rules)
