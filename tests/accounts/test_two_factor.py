"""Two-factor login (issue 14, point 8): enrolment with a confirmation code, the code step
of the web and API logins, wrong codes in the lockout, replay refused (also when sent in
parallel to a real server), one-time recovery codes, the required account that has not
enrolled, and the security administrator's reset. The clock of app/accounts/lockout.py is
frozen where a test needs to know the time step (not a stand-in for the rules)."""
from __future__ import annotations

import datetime as dt
import re
import threading

import pyotp
import pytest
import sqlalchemy as sa

from app.accounts import lockout, two_factor
from app.extensions import db
from app.models import AccountProtection, AuditLog, RecoveryCode, TwoFactor
from app.security import ROLES
from tests import logins, people

START = dt.datetime(2026, 11, 26, 3, 0, 10, tzinfo=dt.UTC)
WRONG = "Wrong-Passw0rd!"
SECRET_ON_PAGE = re.compile(r'class="two-factor-secret"[^>]*>([A-Z2-7 ]+)<')
RECOVERY_ON_PAGE = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")



def _user(app, username):
    return app.appbuilder.sm.find_user(username=username)


def _signed_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def _other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _failures(user_id) -> int:
    db.session.expire_all()
    row = db.session.scalar(sa.select(AccountProtection).filter_by(user_id=user_id))
    return row.failures if row else 0


def _actions(action):
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditLog).filter_by(action=action)).all()


def _enrol_on_the_page(client) -> tuple[str, list[str]]:
    """Enrol the signed-in account as its holder does: the secret from the page, a wrong
    confirmation code (refused), then the right one; returns (secret, recovery codes)."""
    page = client.get("/two-factor/enrol/").get_data(as_text=True)
    assert "<svg" in page  # the QR code, inline (the browser test reads it back)
    secret = SECRET_ON_PAGE.search(page).group(1).replace(" ", "")
    right = pyotp.TOTP(secret).at(lockout.now())
    refused = client.post("/two-factor/enrol/", data={"code": _other_code(right)})
    assert refused.status_code == 200 and "验证码不正确" in refused.get_data(as_text=True)
    confirmed = client.post("/two-factor/enrol/", data={"code": right}).get_data(as_text=True)
    codes = RECOVERY_ON_PAGE.findall(confirmed)
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def test_enrolment_takes_effect_with_its_confirmation_code_and_the_login_asks_for_it(app, login):
    prac = login("prac_a")  # optional for practitioners: not asked until enrolled
    user_id = _user(app, "prac_a").id
    assert "双因素认证" in prac.get("/users/userinfo/").get_data(as_text=True)  # its button
    assert prac.get("/two-factor/").location.endswith("/two-factor/enrol/")
    page = prac.get("/two-factor/enrol/").get_data(as_text=True)
    secret = SECRET_ON_PAGE.search(page).group(1).replace(" ", "")
    assert two_factor.is_enrolled(user_id) is False  # shown, not yet in effect
    right = pyotp.TOTP(secret).at(lockout.now())
    assert prac.post("/two-factor/enrol/", data={"code": _other_code(right)}).status_code == 200
    db.session.expire_all()
    assert two_factor.is_enrolled(user_id) is False  # a wrong confirmation changes nothing
    codes = RECOVERY_ON_PAGE.findall(
        prac.post("/two-factor/enrol/", data={"code": right}).get_data(as_text=True))
    assert len(codes) == 10 and two_factor.is_enrolled(user_id)
    # Stored encrypted and hashed: neither the secret nor a recovery code is in the database.
    stored = db.session.scalar(sa.select(TwoFactor.secret).filter_by(user_id=user_id))
    hashes = db.session.scalars(sa.select(RecoveryCode.code_hash).filter_by(user_id=user_id)).all()
    assert secret not in stored and len(hashes) == 10
    assert not {c.replace("-", "") for c in codes} & set(hashes)
    assert [a.object_id for a in _actions("two_factor_enrol")] == [str(user_id)]

    # The password alone now leads to the code step, not into the system.
    waiting = app.test_client()
    response = logins.login(waiting, "prac_a", code="", expect=False)
    assert response.location.endswith(logins.CODE_STEP) and not _signed_in(waiting)
    assert waiting.get("/myapplicationview/list/").status_code == 302
    assert "动态验证码" in waiting.get(logins.CODE_STEP).get_data(as_text=True)
    code = logins.current_code(app, "prac_a", secret)
    logins.login(app.test_client(), "prac_a", code=code)  # asserts it is signed in


def test_a_practitioner_may_switch_it_off_a_reviewer_may_not(app, login, clock):
    prac = login("prac_a")
    secret, _codes = _enrol_on_the_page(prac)
    clock.now += dt.timedelta(seconds=30)
    assert prac.post("/two-factor/disable/", data={"code": "123"}).status_code == 302
    assert two_factor.is_enrolled(_user(app, "prac_a").id)
    prac.post("/two-factor/disable/", data={"code": pyotp.TOTP(secret).at(lockout.now())})
    assert not two_factor.is_enrolled(_user(app, "prac_a").id)
    reviewer = login("reviewer")
    clock.now += dt.timedelta(seconds=30)
    reviewer.post("/two-factor/disable/", data={"code": logins.current_code(app, "reviewer")})
    assert two_factor.is_enrolled(_user(app, "reviewer").id)


def test_wrong_codes_count_in_the_lockout_and_only_the_right_code_clears_it(app, clock):
    reviewer = _user(app, "reviewer")
    for _ in range(3):
        logins.login(app.test_client(), "reviewer", WRONG, expect=False)
    logins.login(app.test_client(), "reviewer", code="", expect=False)  # right password
    assert _failures(reviewer.id) == 3  # the password alone does not clear the count
    right = logins.current_code(app, "reviewer")
    refused = logins.login(app.test_client(), "reviewer", code=_other_code(right), expect=False)
    assert refused.status_code == 200 and "验证码不正确" in refused.get_data(as_text=True)
    assert _failures(reviewer.id) == 4
    client = app.test_client()
    response = logins.login(client, "reviewer", code=_other_code(right), expect=False)
    assert response.status_code == 302 and "/login/" in response.location  # the fifth: locked
    assert [lock.object_id for lock in _actions("lockout")] == [str(reviewer.id)]
    assert not _signed_in(client)
    # Locked: the right password and the right code are refused too, until the lock ends.
    assert not _signed_in_after(app, "reviewer")
    clock.now += dt.timedelta(minutes=16)
    assert _signed_in_after(app, "reviewer") and _failures(reviewer.id) == 0
    assert {a.result.name for a in _actions("two_factor_login")} == {"failure", "success"}


def _signed_in_after(app, username, **kwargs) -> bool:
    client = app.test_client()
    logins.login(client, username, expect=False, **kwargs)
    return _signed_in(client)


def test_a_code_works_once_and_within_one_step_either_side(app, clock):
    code = logins.current_code(app, "reviewer")  # clears the last used step
    assert _signed_in_after(app, "reviewer", code=code)
    assert not _signed_in_after(app, "reviewer", code=code)  # replayed: refused
    secret = people.totp_secret("reviewer")
    clock.now += dt.timedelta(seconds=30)
    assert not _signed_in_after(app, "reviewer", code=code)  # the previous step, used already
    next_code = pyotp.TOTP(secret).at(lockout.now() + dt.timedelta(seconds=30))
    assert _signed_in_after(app, "reviewer", code=next_code)  # the phone's clock runs ahead
    clock.now += dt.timedelta(seconds=30)  # that step is now the current one: used
    assert not _signed_in_after(app, "reviewer", code=next_code)
    too_old = pyotp.TOTP(secret).at(lockout.now() - dt.timedelta(seconds=60))
    logins.current_code(app, "reviewer")  # nothing used: the window alone refuses it
    assert not _signed_in_after(app, "reviewer", code=too_old)


def test_the_same_code_sent_in_parallel_gets_one_token(live_server):
    app = live_server.app
    app.config["LOGIN_MAX_FAILURES"] = 100  # the refused ones must not lock the account here
    # The account's protection row exists, as after any earlier login failure: parallel
    # first failures racing to create it are the lockout's matter (tests of the lockout).
    lockout.protection_of(_user(app, "reviewer").id, create=True)
    db.session.commit()
    body = logins.api_login_body("reviewer", app=app)
    start, answers = threading.Barrier(8), []

    def send():
        session = logins.LiveSession(live_server.url)
        start.wait()
        answers.append(session.post("/api/v1/security/login", json_body=body)[0])

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers) == [200] + [401] * 7


def test_recovery_codes_work_once(app, login, clock):
    reviewer = login("reviewer")
    clock.now += dt.timedelta(seconds=30)
    page = reviewer.post("/two-factor/recovery-codes/",
                         data={"code": logins.current_code(app, "reviewer")})
    codes = RECOVERY_ON_PAGE.findall(page.get_data(as_text=True))
    assert len(codes) == 10
    client = app.test_client()
    logins.login(client, "reviewer", code=codes[0].upper().replace("-", " "))  # as typed
    assert "还剩 9 个" in client.get("/").get_data(as_text=True)
    assert not _signed_in_after(app, "reviewer", code=codes[0])  # used
    assert _signed_in_after(app, "reviewer", code=codes[1])
    # New codes replace the old ones.
    clock.now += dt.timedelta(seconds=30)
    reviewer.post("/two-factor/recovery-codes/",
                  data={"code": logins.current_code(app, "reviewer")})
    assert not _signed_in_after(app, "reviewer", code=codes[2])


def _new_staff(app, username="fresh_reviewer", role="reviewer"):
    sm = app.appbuilder.sm
    return sm.add_user(username, "新审查员", "", f"{username}@test.invalid",
                       sm.find_role(ROLES[role].name), password=people.PASSWORD)


def test_a_required_account_not_enrolled_must_enrol_before_anything_else(app):
    _new_staff(app)
    client = app.test_client()
    logins.login(client, "fresh_reviewer")  # the password is all it has: signed in
    for path in ("/", "/acceptancequeueview/list/", "/users/userinfo/", "/api/v1/practitioner/",
                 "/two-factor/"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.location.endswith("/two-factor/enrol/"), path
    assert "设置双因素认证" in client.get("/two-factor/enrol/").get_data(as_text=True)
    api = app.test_client().post("/api/v1/security/login", json=logins.api_login_body(
        "fresh_reviewer", app=app))
    assert api.status_code == 403 and "网页" in api.json["message"]
    _enrol_on_the_page(client)
    assert client.get("/acceptancequeueview/list/").status_code == 200
    assert client.get("/logout/").status_code == 302


def test_the_api_login_asks_an_enrolled_account_for_its_code(app):
    client, user_id = app.test_client(), _user(app, "reviewer").id
    login = "/api/v1/security/login"
    assert client.post(login, json=logins.api_login_body("reviewer")).status_code == 200
    missing = client.post(login, json=logins.api_login_body("reviewer", totp=None))
    assert missing.status_code == 401 and "动态验证码" in missing.json["message"]
    wrong = client.post(login, json=logins.api_login_body("reviewer", totp="12345x"))
    assert wrong.status_code == 401 and _failures(user_id) == 2  # both counted
    typed = client.post(login, json={**logins.api_login_body("reviewer"), "totp": ["x"]})
    assert typed.status_code == 400 and "验证码" in str(typed.json["message"])
    assert client.post(login, json=logins.api_login_body("reviewer")).status_code == 200
    assert _failures(user_id) == 0
    # An account without two factors is not asked (the code is ignored).
    assert client.post(login, json=logins.api_login_body("prac_a")).status_code == 200


def test_the_security_administrator_resets_an_enrolment_audited_and_sessions_end(app, login):
    reviewer = login("reviewer")
    reviewer_id = _user(app, "reviewer").id
    row_id = db.session.scalar(sa.select(TwoFactor.id).filter_by(user_id=reviewer_id))
    secadmin = login("secadmin")
    listing = secadmin.get("/twofactorresetview/list/").get_data(as_text=True)
    assert "reviewer（reviewer）" in listing and "重置双因素认证" in listing
    assert "prac_a" not in listing  # the search offers the enrolled accounts only
    answer = secadmin.post(f"/twofactorresetview/action/reset/{row_id}")
    assert answer.status_code == 302
    assert not two_factor.is_enrolled(reviewer_id)
    assert reviewer.get("/acceptancequeueview/list/").location.startswith("/login")  # ended
    [reset] = _actions("two_factor_reset")
    assert (reset.object_id, reset.actor_name) == (str(reviewer_id), "secadmin")
    # The next login is the password alone, and leads to a new enrolment.
    client = app.test_client()
    logins.login(client, "reviewer")
    assert client.get("/").location.endswith("/two-factor/enrol/")


@pytest.mark.parametrize("username", ["sysadmin", "auditor", "reviewer", "prac_a"])
def test_no_one_else_may_reset(app, login, username):
    reviewer_id = _user(app, "reviewer").id
    row_id = db.session.scalar(sa.select(TwoFactor.id).filter_by(user_id=reviewer_id))
    client = login(username)
    assert client.get("/twofactorresetview/list/").status_code in (302, 403)
    client.post(f"/twofactorresetview/action/reset/{row_id}")
    client.post("/twofactorresetview/action_post", data={"action": "reset", "rowid": row_id})
    assert two_factor.is_enrolled(reviewer_id) and _actions("two_factor_reset") == []


def test_a_preset_secret_is_refused_in_production(app):
    app.config["PRODUCTION"] = True
    with pytest.raises(two_factor.PresetSecretRefused):
        two_factor.enrol_with_secret(_user(app, "prac_a").id, pyotp.random_base32())
    assert not two_factor.is_enrolled(_user(app, "prac_a").id)
