"""Account protection (issue 6): login lockout, rate limits, password rules, sessions and
security headers. The clock of app/accounts/lockout.py is replaced to move time on (a frozen clock,
not a stand-in for the rules under test)."""
from __future__ import annotations

import datetime as dt
import re
import statistics
import time

import pytest
import sqlalchemy as sa

from app import create_app
from app.accounts.security_manager import AuthDBView
from app.enums import AuditResult
from app.extensions import db
from app.models import AuditLog
from tests import logins, people
from tests.conftest import FreshContextClient, app_config

WRONG = "Wrong-Passw0rd!"
START = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)



def _login(client, username, password):
    """POST the login form; returns (logged in?, the message flashed)."""
    response = logins.login(client, username, password, expect=False)
    with client.session_transaction() as session:
        flashes = session.pop("_flashes", [])
        logged_in = "_user_id" in session
    assert response.status_code == 302
    return logged_in, [message for _category, message in flashes]


def _api_login(client, username, password):
    return client.post("/api/v1/security/login",
                       json=logins.api_login_body(username, password)).status_code


# ---------------------------------------------------------------- lockout

def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(app, clock):
    client = app.test_client()
    for _ in range(4):
        assert _login(client, "prac_a", WRONG)[0] is False
    assert _login(client, "prac_a", people.PASSWORD)[0] is True  # 4 failures: not yet locked
    client = app.test_client()
    for _ in range(5):
        _login(client, "prac_a", WRONG)
    assert _login(client, "prac_a", people.PASSWORD)[0] is False
    assert _login(app.test_client(), "prac_b", people.PASSWORD)[0] is True  # others unaffected
    db.session.expire_all()
    [lock] = db.session.scalars(sa.select(AuditLog).filter_by(action="lockout")).all()
    assert lock.object_id == str(app.appbuilder.sm.find_user(username="prac_a").id)
    assert lock.result == AuditResult.denied


def test_the_lock_ends_after_the_period(app, clock):
    client = app.test_client()
    for _ in range(5):
        _login(client, "prac_a", WRONG)
    clock.now = START + dt.timedelta(minutes=14, seconds=59)
    assert _login(client, "prac_a", people.PASSWORD)[0] is False
    clock.now = START + dt.timedelta(minutes=15, seconds=1)
    assert _login(client, "prac_a", people.PASSWORD)[0] is True


def test_the_same_message_for_unknown_user_wrong_password_and_locked_account(app, clock):
    client = app.test_client()
    unknown = _login(client, "nobody_here", WRONG)[1]
    wrong = _login(client, "prac_a", WRONG)[1]
    for _ in range(4):
        _login(client, "prac_a", WRONG)
    locked = _login(client, "prac_a", people.PASSWORD)[1]
    with app.test_request_context():
        expected = [str(AuthDBView.invalid_login_message)]
    assert unknown == wrong == locked == expected


def test_the_api_login_is_locked_too(app, clock):
    client = app.test_client()
    assert _api_login(client, "prac_a", people.PASSWORD) == 200
    for _ in range(5):
        assert _api_login(client, "prac_a", WRONG) == 401
    assert _api_login(client, "prac_a", people.PASSWORD) == 401
    clock.now = START + dt.timedelta(minutes=16)
    assert _api_login(client, "prac_a", people.PASSWORD) == 200


def _median_seconds(client, username, times=7):
    spent = []
    for _ in range(times):
        began = time.perf_counter()
        _login(client, username, WRONG)
        spent.append(time.perf_counter() - began)
    return statistics.median(spent)


def test_an_unknown_user_is_answered_as_slowly_as_a_wrong_password(app):
    app.config["LOGIN_MAX_FAILURES"] = 1000  # keep the account unlocked while timing
    client = app.test_client()
    _median_seconds(client, "prac_a", times=2)  # warm up
    unknown = _median_seconds(client, "nobody_here")
    wrong = _median_seconds(client, "prac_a")
    # Both spend one password hash (tens of milliseconds); without FAB's dummy hash for
    # unknown users they would differ by all of it.
    assert abs(unknown - wrong) <= max(0.5 * wrong, 0.03), (unknown, wrong)


# ---------------------------------------------------------------- rate limits

def _app_with(app, **settings):
    """A second app on the test's database, for settings FAB reads only when it builds
    the app (the login rate limit)."""
    config = app_config(app.config["SQLALCHEMY_DATABASE_URI"], app.config["DEMO_ACCOUNTS_FILE"].parent)
    other = create_app({**config, **settings})
    other.test_client_class = FreshContextClient
    return other


def test_login_is_rate_limited_per_address(app):
    limited = _app_with(app, AUTH_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    codes = [client.post("/login/", data={"username": "prac_a", "password": WRONG}).status_code
             for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    assert client.get("/login/").status_code == 200  # showing the form is not counted


def test_the_api_login_is_rate_limited_per_address(app):
    client = _app_with(app, AUTH_RATE_LIMIT="3 per minute").test_client()
    assert [_api_login(client, "prac_a", WRONG) for _ in range(4)] == [401, 401, 401, 429]


def test_sign_up_is_rate_limited_per_address(app, client):
    app.config["SIGNUP_RATE_LIMIT"] = "2 per minute"
    form = {"real_name": "张三", "id_number": "1", "phone": "1", "password": "x", "confirm": "x"}
    codes = [client.post("/signup/", data=form).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/signup/").status_code == 200


# ---------------------------------------------------------------- password rules

@pytest.mark.parametrize("password, missing", [
    ("Ab1!xyz", "at least 8 characters"),           # too short
    ("ABCDEFG1!", None),                             # no lower case: three classes remain
    ("abcdefgh1", "three of"),                       # lower case and digits only
    ("ABCDEFGH!", "three of"),                       # capitals and symbols only
    ("abcdefgH", "three of"),                        # no digits, no symbols
    ("12345678!", "three of"),                       # digits and symbols only
    ("Woaini1314", "commonly used"),                 # on the common list, any case
    ("P@ssw0rd2025", "commonly used"),
    ("Zt7-kqv-Rb", None),
])
def test_password_rules(app, password, missing):
    from flask_babel import force_locale

    from app.accounts.passwords import problems

    with app.test_request_context(), force_locale("en"):
        found = problems(password)
    if missing is None:
        assert found == []
    else:
        assert any(missing in text for text in found), found


def test_the_common_list_is_large_and_lower_case():
    from app.accounts.passwords import common_passwords

    listed = common_passwords()
    assert len(listed) > 2000 and all(p == p.lower() for p in listed)


NEW_USER = {"first_name": "新", "last_name": "用户", "username": "newclerk", "active": "y",
            "email": "newclerk@test.invalid"}


def _role_id(app, role_key):
    from app.security import ROLES

    return str(app.appbuilder.sm.find_role(ROLES[role_key].name).id)


def test_fab_user_add_form_applies_the_password_rules(app, login):
    sysadmin = login("sysadmin")
    weak = {**NEW_USER, "roles": _role_id(app, "reviewer"),
            "password": "abcdefgh1", "conf_password": "abcdefgh1"}
    page = sysadmin.post("/users/add", data=weak)
    assert page.status_code == 200 and app.appbuilder.sm.find_user(username="newclerk") is None


def test_an_account_made_by_an_administrator_must_change_its_password_first(app, login):
    sysadmin = login("sysadmin")
    chosen = "Chosen-2026x"
    sysadmin.post("/users/add", data={**NEW_USER, "roles": _role_id(app, "reviewer"),
                                      "password": chosen, "conf_password": chosen})
    assert app.appbuilder.sm.find_user(username="newclerk") is not None
    clerk = app.test_client()
    assert _login(clerk, "newclerk", chosen)[0] is True
    for path in ("/", "/acceptancequeueview/list/", "/users/userinfo/"):
        answer = clerk.get(path)
        assert answer.status_code == 302 and "/resetmypassword/form" in answer.location, path
    assert clerk.get("/resetmypassword/form").status_code == 200
    weak = clerk.post("/resetmypassword/form", data={"password": "abc", "conf_password": "abc"})
    assert weak.status_code == 200 and clerk.get("/").status_code == 302  # still required
    mine = "Mine-2026-own"
    clerk.post("/resetmypassword/form", data={"password": mine, "conf_password": mine})
    # The password is no longer in the way; a reviewer's next step is two-factor enrolment
    # (tests/accounts/test_two_factor.py).
    answer = clerk.get("/acceptancequeueview/list/")
    assert answer.status_code == 302 and "/two-factor/enrol/" in answer.location
    assert _login(app.test_client(), "newclerk", mine)[0] is True


def test_signed_up_and_fixture_accounts_are_not_asked_to_change(app, login):
    assert login("prac_a").get("/").status_code == 200


# ---------------------------------------------------------------- sessions

def _signed_in(client) -> bool:
    """The list of own applications answers 200 when signed in, a redirect to login else."""
    return client.get("/myapplicationview/list/").status_code == 200


def test_a_session_ends_after_30_idle_minutes_but_not_while_in_use(app, clock, login):
    client = login("prac_a")
    for minutes in (29, 58, 87):  # a request every 29 minutes keeps it alive
        clock.now = START + dt.timedelta(minutes=minutes)
        assert _signed_in(client)
    clock.now = START + dt.timedelta(minutes=87 + 31)
    assert not _signed_in(client)
    assert not _signed_in(client)  # and it stays ended


def test_a_session_ends_12_hours_after_login_however_busy(app, clock, login):
    client = login("prac_a")
    for step in range(1, 27):  # 29 * 25 minutes is past 12 hours
        clock.now = START + dt.timedelta(minutes=29 * step)
        alive = _signed_in(client)
        assert alive == (29 * step <= 12 * 60), step


def test_logging_out_ends_copies_of_the_session_cookie_too(app, login):
    client = login("prac_a")
    with client.session_transaction() as session:
        copied = dict(session)
    client.get("/logout/")
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(copied)
    assert not _signed_in(thief)
    assert _signed_in(login("prac_a"))  # a new login works


def test_a_disabled_account_is_logged_out_on_its_next_request(app, login):
    from app.extensions import db

    client = login("prac_a")
    assert _signed_in(client)
    app.appbuilder.sm.find_user(username="prac_a").active = False
    db.session.commit()
    assert not _signed_in(client)


def test_session_cookie_is_httponly_samesite_lax_and_permanent(app):
    client = app.test_client()
    response = logins.login(client, "prac_a")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_production_cookies_are_secure(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("APP_ENV", "production")
    try:
        assert importlib.reload(config).SESSION_COOKIE_SECURE is True
    finally:
        monkeypatch.delenv("APP_ENV")
        importlib.reload(config)


# ---------------------------------------------------------------- security headers

def _nonce_of(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy.split(
        "script-src", 1)[1].split(";", 1)[0]
    return re.search(r"'nonce-([^']+)'", policy).group(1)


def _own_application_id(app):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Application, Practitioner

    user = app.appbuilder.sm.find_user(username="prac_a")
    return db.session.scalar(select(Application.id).join(Practitioner).where(
        Practitioner.user_id == user.id))


def test_every_page_script_carries_the_nonce_of_its_policy(app, login):
    practitioner, reviewer = login("prac_a"), login("reviewer")
    pages = [(app.test_client(), "/"), (app.test_client(), "/login/"),
             (practitioner, "/myapplicationview/list/"),
             (practitioner, f"/myapplicationview/show/{_own_application_id(app)}"),
             (reviewer, "/roster/upload")]
    nonces = set()
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        nonce = _nonce_of(response)
        tags = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
        assert tags, path
        assert all(f'nonce="{nonce}"' in tag for tag in tags), (path, tags)
        nonces.add(nonce)
    assert len(nonces) == len(pages)  # a new nonce for every response


def test_security_headers_on_pages_errors_and_files(app, client):
    for response in (client.get("/"), client.get("/no-such-page"), client.get("/login/")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Content-Security-Policy" in response.headers


def _sent_to_password_form(client, path="/users/list/") -> bool:
    answer = client.get(path)
    return answer.status_code == 302 and "/resetmypassword/form" in answer.location


def test_an_administrator_password_expires_after_the_configured_days(app, clock, login):
    assert app.config["ADMIN_PASSWORD_MAX_AGE_DAYS"] == 90
    clock.now = dt.datetime.now(dt.UTC) + dt.timedelta(days=91)
    assert _sent_to_password_form(login("sysadmin"))
    assert not _sent_to_password_form(login("prac_a"), "/myapplicationview/list/")
    renewed = "Renewed-2026a"
    login("sysadmin").post("/resetmypassword/form",
                           data={"password": renewed, "conf_password": renewed})
    admin = app.test_client()
    assert _login(admin, "sysadmin", renewed)[0] is True
    assert not _sent_to_password_form(admin)
    clock.now += dt.timedelta(days=91)
    again = app.test_client()
    assert _login(again, "sysadmin", renewed)[0] is True and _sent_to_password_form(again)
