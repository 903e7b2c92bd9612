"""The one way tests log in: through the login form of a test client, the API login, a real
server (urllib with a cookie jar, as a script would) or a browser (tests/browser/conftest.py).
Every login step the app asks for (the password, and any step added later) is answered here
once, so that a change to the login is made in one place and never switched off for tests."""
from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from tests.people import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD, *, expect: bool = True, **data):
    """Post the login form with the test client; returns the last response. With expect
    (the default) it asserts that the account is signed in afterwards."""
    if client.application.config.get("WTF_CSRF_ENABLED"):
        data.setdefault("csrf_token", csrf_token_of(client.get("/login/").get_data(as_text=True)))
    response = client.post("/login/", data={"username": username, "password": password, **data})
    if expect:
        assert response.status_code == 302 and "/login" not in response.location, \
            f"login of {username} failed"
    return response


def logged_in_client(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    login(client, username, password)
    return client


def api_login_body(username: str, password: str = PASSWORD, **extra) -> dict:
    """The JSON body of POST /api/v1/security/login for this account."""
    return {"username": username, "password": password, "provider": "db", **extra}


def api_token(client, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/security/login", json=api_login_body(username, password))
    assert response.status_code == 200, f"API login of {username}: {response.status_code}"
    return response.json["access_token"]


class LiveSession:
    """A cookie-keeping client of a real server (tests/live_server.py), redirects followed
    as a browser would; get/post return (status, final url, body text)."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method: str, path: str, *, form: dict | None = None,
                json_body=None, headers: dict | None = None):
        data, headers = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.url, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode("utf-8", "replace")

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)


def login_live(base_url: str, username: str, password: str = PASSWORD, *,
               expect: bool = True) -> LiveSession:
    """A LiveSession signed in through the login form of the real server (CSRF on)."""
    session = LiveSession(base_url)
    _status, _url, page = session.get("/login/")
    status, url, _body = session.post("/login/", form={
        "username": username, "password": password, "csrf_token": csrf_token_of(page)})
    if expect:
        assert status == 200 and "/login" not in url, f"live login of {username} failed"
    return session
