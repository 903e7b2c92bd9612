"""Parallel logins through a real threaded server (issue 14, points 1 and 2): wrong passwords
sent at the same moment, each in its own thread and request, must all be counted, start
exactly one lock, and never answer 500, on the API login and on the login form alike."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AccountProtection, AuditLog
from tests import logins, people
from tests.logins import LiveSession, csrf_token_of

WRONG = "Wrong-Passw0rd!"
API_LOGIN = "/api/v1/security/login"


def _together(attempts):
    """Run the callables in threads released at the same instant; their answers in order."""
    barrier = threading.Barrier(len(attempts), timeout=30)
    answers, errors = [None] * len(attempts), []

    def run(index):
        try:
            barrier.wait()
            answers[index] = attempts[index]()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and all(not t.is_alive() for t in threads), errors
    return answers


def _api_attempts(base_url, username, count):
    def attempt():
        status, _url, _body = LiveSession(base_url).post(
            API_LOGIN, json_body=logins.api_login_body(username, WRONG))
        return status
    return [attempt] * count


def _web_attempts(base_url, username, count):
    """Each client fetches its own login page (and CSRF token) first; only the posts race."""
    def prepared():
        client = LiveSession(base_url)
        _status, _url, page = client.get("/login/")
        form = {"username": username, "password": WRONG, "csrf_token": csrf_token_of(page)}

        def attempt():
            status, url, _body = client.post("/login/", form=form)
            assert "/login" in url  # sent back to the form, not signed in
            return status
        return attempt
    return [prepared() for _ in range(count)]


def _protection(user_id):
    db.session.remove()  # the server's threads wrote it: read it afresh
    return db.session.scalar(sa.select(AccountProtection).filter_by(user_id=user_id))


def _lockouts(user_id) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditLog.id)).filter_by(
        action="lockout", object_id=str(user_id)))


def _user_id(app, username):
    return app.appbuilder.sm.find_user(username=username).id


@pytest.mark.parametrize("channel", ["api", "web"])
@pytest.mark.parametrize("count", [5, 10, 20])
def test_simultaneous_wrong_passwords_always_lock_the_account(live_server, channel, count):
    from app.accounts import lockout

    base, app = live_server.url, live_server.app
    make = _api_attempts if channel == "api" else _web_attempts
    answers = _together(make(base, "prac_a", count))
    assert answers == [401 if channel == "api" else 200] * count  # never a 500
    user_id = _user_id(app, "prac_a")
    assert _protection(user_id) is not None and lockout.is_locked(user_id)
    assert _lockouts(user_id) == 1
    status, _url, _body = LiveSession(base).post(
        API_LOGIN, json_body=logins.api_login_body("prac_a", people.PASSWORD))
    assert status == 401  # the right password is refused during the lock
    _status, url, _body = logins.login_live(base, "prac_a", expect=False).get("/users/userinfo/")
    assert "/login" in url  # the login form refuses it too
    assert lockout.is_locked(user_id) and _lockouts(user_id) == 1


def test_parallel_first_failures_are_all_counted(live_server, count=10):
    app = live_server.app
    app.config["LOGIN_MAX_FAILURES"] = 1000  # count only: no lock in the way
    user_id = _user_id(app, "prac_b")
    assert _protection(user_id) is None  # no row yet: every attempt tries to create it
    answers = _together(_api_attempts(live_server.url, "prac_b", count))
    assert answers == [401] * count
    assert _protection(user_id).failures == count


def test_parallel_creations_of_the_row_make_one(app):
    """protection_of(create=True), as the password and session rules call it, from eight
    connections at once: one row, no unique-key error."""
    from app.accounts.lockout import protection_of

    user_id = _user_id(app, "prac_b")

    def create():
        with app.app_context():
            try:
                return protection_of(user_id, create=True).user_id
            finally:
                db.session.commit()
                db.session.remove()

    assert _together([create] * 8) == [user_id] * 8
    assert db.session.scalar(sa.select(sa.func.count(AccountProtection.id)).filter_by(
        user_id=user_id)) == 1
