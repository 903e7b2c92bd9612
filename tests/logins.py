"""The one way tests log in: through the login form of a test client, the API login, a real
server (urllib with a cookie jar, as a script would) or a browser (tests/browser/conftest.py).
Every login step the app asks for (the password, then the two-factor code of an enrolled
account) is answered here once, so that a change to the login is made in one place and
never switched off for tests.

The code is the one the account's authenticator app would show now, from its known test
secret (tests/people.py totp_secret). The app refuses a time step used before, so a second
login of the account within 30 s would fail: before answering, the account's last used step
is cleared with one UPDATE (the check itself stays on; tests/accounts/test_two_factor.py
tests it)."""
from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pyotp
import sqlalchemy as sa
from flask import current_app, has_app_context

from tests.people import PASSWORD, totp_secret

CODE_STEP = "/login/code/"
# Base URL of a real server (tests/live_server.py serving) -> the app it serves.
SERVED_APPS: dict = {}

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def current_code(app, username: str, secret: str | None = None) -> str:
    """The account's code now (by the app's clock, which tests may move), its last used
    step cleared first so that the code is accepted however recently it logged in."""
    from app.accounts import lockout
    from app.extensions import db
    from app.models import TwoFactor

    with app.app_context():
        user_id = sa.select(app.appbuilder.sm.user_model.id).where(
            app.appbuilder.sm.user_model.username == username).scalar_subquery()
        db.session.execute(sa.update(TwoFactor).where(TwoFactor.user_id == user_id)
                           .values(last_used_step=None))
        db.session.commit()
    return pyotp.TOTP(secret or totp_secret(username)).at(lockout.now())


def _asks_for_code(location: str | None) -> bool:
    return bool(location) and urllib.parse.urlsplit(location).path == CODE_STEP


def login(client, username: str, password: str = PASSWORD, *, expect: bool = True,
          code: str | None = None, **data):
    """Post the login form with the test client, and the code step when the app asks for
    it; returns the last response. `code`: what to answer there (default: the account's
    current code; "" stops at the code step). With expect (the default) it asserts that the
    account is signed in afterwards."""
    if client.application.config.get("WTF_CSRF_ENABLED"):
        data.setdefault("csrf_token", csrf_token_of(client.get("/login/").get_data(as_text=True)))
    response = client.post("/login/", data={"username": username, "password": password, **data})
    if response.status_code == 302 and _asks_for_code(response.location) and code != "":
        token = {"csrf_token": data["csrf_token"]} if "csrf_token" in data else {}
        response = client.post(CODE_STEP, data={
            "code": code or current_code(client.application, username), **token})
    if expect:
        assert response.status_code == 302 and "/login" not in response.location, \
            f"login of {username} failed"
    return response


def logged_in_client(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    login(client, username, password)
    return client


def api_login_body(username: str, password: str = PASSWORD, *, app=None, **extra) -> dict:
    """The JSON body of POST /api/v1/security/login for this account, with its current
    two-factor code ("totp"; ignored for an account without enrolment). `app` defaults to
    the current app; totp=None in `extra` leaves the code out."""
    body = {"username": username, "password": password, "provider": "db"}
    app = app or (current_app._get_current_object() if has_app_context() else None)
    if "totp" not in extra:
        body["totp"] = current_code(app, username) if app is not None else \
            pyotp.TOTP(totp_secret(username)).now()
    body.update(extra)
    return {key: value for key, value in body.items() if value is not None}


def api_token(client, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/security/login",
                           json=api_login_body(username, password, app=client.application))
    assert response.status_code == 200, f"API login of {username}: {response.status_code}"
    return response.json["access_token"]


class LiveSession:
    """A cookie-keeping client of a real server (tests/live_server.py), redirects followed
    as a browser would; get/post return (status, final url, body text)."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies)
        self.opener_stopping = urllib.request.build_opener(cookies, _NoRedirect())

    def request(self, method: str, path: str, *, form: dict | None = None,
                json_body=None, headers: dict | None = None, follow: bool = True):
        """follow=False answers a redirect itself: (302, its Location, body)."""
        data, headers = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)
        opener = self.opener if follow else self.opener_stopping
        try:
            with opener.open(request, timeout=60) as response:
                return response.status, response.url, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            if not follow and 300 <= error.code < 400:
                return error.code, error.headers.get("Location", ""), ""
            return error.code, error.url, error.read().decode("utf-8", "replace")

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def login_live(base_url: str, username: str, password: str = PASSWORD, *,
               expect: bool = True, code: str | None = None) -> LiveSession:
    """A LiveSession signed in through the login form of the real server (CSRF on), and
    the code step when asked (`code` as for login())."""
    session = LiveSession(base_url)
    _status, _url, page = session.get("/login/")
    token = csrf_token_of(page)
    status, url, _body = session.post("/login/", follow=False, form={
        "username": username, "password": password, "csrf_token": token})
    if status == 302 and _asks_for_code(url) and code != "":
        status, url, _body = session.post(CODE_STEP, form={
            "code": code or current_code(SERVED_APPS[base_url], username), "csrf_token": token})
    elif status == 302:
        target = urllib.parse.urlsplit(url)
        status, url, _body = session.get((target.path or "/") +
                                         (f"?{target.query}" if target.query else ""))
    if expect:
        assert status == 200 and "/login" not in url, f"live login of {username} failed"
    return session
