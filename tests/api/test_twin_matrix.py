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
