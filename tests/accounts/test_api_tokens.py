"""API tokens end with the web session (issue 14, point 6): after each event that ends the
account's sessions, an access token and a refresh token that worked before answer 401 with
a Chinese message, and a new login gets tokens that work."""
from __future__ import annotations

import datetime as dt

import pytest

from app.accounts import lockout
from tests import logins, people

WRONG = "Wrong-Passw0rd!"
NEW_PASSWORD = "Brand-New-2026x"
ACCOUNT = "reviewer"  # may read the practitioner API: a token that works answers 200


def _tokens(app, password=people.PASSWORD) -> dict:
    response = app.test_client().post("/api/v1/security/login", json=logins.api_login_body(
        ACCOUNT, password, refresh=True))
    assert response.status_code == 200, response.json
    return response.json


def _with(app, token: str, path: str, method: str = "get"):
    """A request carrying only the token (no session cookie)."""
    return getattr(app.test_client(), method)(path, headers={"Authorization": f"Bearer {token}"})


def _works(app, tokens: dict) -> bool:
    read = _with(app, tokens["access_token"], "/api/v1/practitioner/")
    refreshed = _with(app, tokens["refresh_token"], "/api/v1/security/refresh", "post")
    assert read.status_code == refreshed.status_code, (read.json, refreshed.json)
    if read.status_code == 401:
        assert "令牌已失效" in read.json["message"] and "令牌已失效" in refreshed.json["message"]
    return read.status_code == 200


def _account(app):
    from app.extensions import db

    db.session.expire_all()  # the requests changed it in their own sessions
    return app.appbuilder.sm.find_user(username=ACCOUNT)


# Each event ends the account's sessions; it returns the password to log in with afterwards.
def _logout(app, login):
    login(ACCOUNT).get("/logout/")
    return people.PASSWORD


def _disabled_on_the_user_screen(app, login):
    sysadmin, user = login("sysadmin"), _account(app)
    form = {"first_name": user.first_name, "username": user.username, "email": user.email,
            "roles": [str(role.id) for role in user.roles]}
    assert sysadmin.post(f"/users/edit/{user.id}", data=form).status_code == 302
    assert not _account(app).active
    assert sysadmin.post(f"/users/edit/{user.id}", data={**form, "active": "y"}).status_code == 302
    return people.PASSWORD  # enabled again for the new login


def _own_password_change(app, login):
    own = login(ACCOUNT)
    own.post("/resetmypassword/form", data={"password": NEW_PASSWORD,
                                            "conf_password": NEW_PASSWORD})
    assert own.get("/users/userinfo/").status_code == 200  # the session it was done in goes on
    return NEW_PASSWORD


def _reset_by_an_administrator(app, login):
    login("sysadmin").post(f"/resetpassword/form?pk={_account(app).id}",
                           data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    return NEW_PASSWORD


def _reset_by_the_command(app, login):
    from flask_appbuilder.cli import reset_password  # `flask fab reset-password`

    result = app.test_cli_runner().invoke(reset_password, ["--username", ACCOUNT,
                                                           "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    return NEW_PASSWORD


def _locked(app, login, monkeypatch):
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post("/api/v1/security/login", json=logins.api_login_body(
            ACCOUNT, WRONG)).status_code == 401
    after_the_lock = lockout.now() + dt.timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"] + 1)
    monkeypatch.setattr(lockout, "now", lambda: after_the_lock)
    return people.PASSWORD


EVENTS = [_logout, _disabled_on_the_user_screen, _own_password_change,
          _reset_by_an_administrator, _reset_by_the_command, _locked]


@pytest.mark.parametrize("event", EVENTS, ids=[e.__name__.strip("_") for e in EVENTS])
def test_tokens_end_with_the_session(app, login, monkeypatch, event):
    before, other = _tokens(app), _tokens(app)
    assert _works(app, before) and _works(app, other)
    arguments = (app, login, monkeypatch) if event is _locked else (app, login)
    password = event(*arguments)
    assert not _works(app, before) and not _works(app, other)
    assert _works(app, _tokens(app, password))


def test_tokens_of_other_accounts_go_on(app, login):
    mine = _tokens(app)
    login("approver").get("/logout/")
    assert _works(app, mine)


def test_a_token_without_the_version_is_refused(app):
    from flask_jwt_extended import create_access_token

    with app.test_request_context():
        bare = create_access_token(identity=str(_account(app).id), additional_claims={
            "session_version": None})
    response = _with(app, bare, "/api/v1/practitioner/")
    assert response.status_code == 401 and "令牌已失效" in response.json["message"]
