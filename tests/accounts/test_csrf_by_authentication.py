"""CSRF is decided by what authenticated the request (app/accounts/request_forgery.py): every
state-changing route of app.url_map, cookie-authenticated as a role that may use it, is
refused without the CSRF token, also with a bogus or another account's Bearer header, and
nothing changes; an API token without a cookie, the anonymous API login and a cookie with
its token still work."""
from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Practitioner
from tests import logins
from tests.route_support import ROLE_USERS, UrlFiller, narrowest_role, routes
from tests.workflow_support import enterprise_of, put_application, state_of

EXPIRED = "页面已过期"
# What a write would change if it got through: a phone, a name, a reason, a selected row.
FORM = {"phone": "13911112222", "name": "csrf-probe", "reason": "csrf-probe"}


def fingerprint() -> str:
    """A hash of every row of every table: any insert, update or delete changes it."""
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        for table in sorted(sa.inspect(conn).get_table_names()):
            rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).all()
            digest.update(f"{table}:{sorted(map(repr, rows))}".encode())
    return digest.hexdigest()


def refused(response, route) -> bool:
    if response.status_code != 400:
        return False
    if route.is_api:
        return EXPIRED in (response.get_json(silent=True) or {}).get("message", "")
    return EXPIRED in response.get_data(as_text=True)


def test_every_state_changing_route_refuses_a_cookie_write_without_the_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    writes = [r for r in routes(app) if r.state_changing]
    assert len(writes) > 200  # the whole url map, not a sample
    clients = {role: logins.logged_in_client(app, username)
               for role, username in ROLE_USERS.items() if username}
    tokens = {name: logins.api_token(app.test_client(), name) for name in ("admin", "auditor")}
    filler = UrlFiller(app)
    # The URLs first: finding a role's ids is not part of what must change nothing.
    targets = [(route, narrowest_role(route)) for route in writes]
    targets = [(route, role, filler.url(route, ROLE_USERS[role])) for route, role in targets]
    before = fingerprint()
    wrong, tried = [], 0
    for route, role, url in targets:
        client = clients[role]
        # Another account's valid token: the superuser's, or the auditor's for the superuser.
        foreign = tokens["auditor" if role == "superuser" else "admin"]
        headers = [{}, {"Authorization": "Bearer x"}]
        if route.is_api:
            headers.append({"Authorization": f"Bearer {foreign}"})
        for method in route.state_changing:
            for header in headers:
                if route.is_api:
                    response = client.open(url, method=method, headers=header,
                                           data=json.dumps(FORM), content_type="application/json")
                else:
                    response = client.open(url, method=method, headers=header,
                                           data={**FORM, "rowid": url.rsplit("/", 1)[-1]})
                tried += 1
                if not refused(response, route):
                    wrong.append((role, method, url, header, response.status_code))
                response.close()
    assert wrong == []
    assert tried >= 2 * len(writes)
    assert fingerprint() == before


def _person(username: str) -> Practitioner:
    user = db.session.scalar(sa.text("SELECT id FROM ab_user WHERE username = :u"), {"u": username})
    return db.session.scalar(sa.select(Practitioner).filter_by(user_id=user))


def test_an_api_token_without_a_cookie_still_writes(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    token = logins.api_token(client, "reviewer")  # the anonymous API login needs no CSRF token
    bearer = {"Authorization": f"Bearer {token}"}
    person = _person("prac_a")
    response = client.put(f"/api/v1/practitioner/{person.id}", json={"phone": "13911112222"},
                          headers=bearer)
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert db.session.get(Practitioner, person.id).phone == "13911112222"
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_acceptance)
    response = client.post(f"/api/v1/application/{app_id}/accept", json={}, headers=bearer)
    assert response.status_code == 200 and state_of(app_id) == S.under_review


def test_a_cookie_write_with_its_token_goes_through_on_the_api(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = logins.logged_in_client(app, "reviewer")
    person = _person("prac_a")
    token = logins.csrf_token_of(client.get(f"/practitioneradminview/edit/{person.id}")
                                 .get_data(as_text=True))
    response = client.put(f"/api/v1/practitioner/{person.id}", json={"phone": "13922223333"},
                          headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert db.session.get(Practitioner, person.id).phone == "13922223333"


def test_through_a_real_server_a_bogus_bearer_header_does_not_help(live_server):
    """The attack of issue 14: the enterprise's cookie, `Authorization: Bearer x`, no token."""
    app = live_server.app
    person = _person("prac_a")
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_enterprise)
    session = logins.login_live(live_server.url, "ent_a")
    for header in ({"Authorization": "Bearer x"}, {}):
        status, _url, body = session.post(f"/api/v1/application/{app_id}/enterprise_return",
                                          json_body={"reason": "csrf-probe"}, headers=header)
        assert status == 400 and EXPIRED in json.loads(body)["message"], (status, body[:200])
    # FAB's own record API, as the reviewer, who may edit practitioners.
    status, _url, body = logins.login_live(live_server.url, "reviewer").request(
        "PUT", f"/api/v1/practitioner/{person.id}", json_body={"phone": "13911112222"})
    assert status == 400 and EXPIRED in json.loads(body)["message"], (status, body[:200])
    assert state_of(app_id) == S.pending_enterprise
    db.session.expire_all()
    assert db.session.get(Practitioner, person.id).phone != "13911112222"
