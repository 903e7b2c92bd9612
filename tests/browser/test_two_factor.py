"""Two-factor login in the browser (issue 14, point 8), through the real server: a new
reviewer is sent to the enrolment after the password, reads the QR code (decoded here from
the screenshot, as a phone's camera would), confirms with a code and keeps the recovery
codes; the next logins ask for the code, and a recovery code works in its place. A
practitioner enrols by choice from the account page, at a phone's 390 px."""
from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pyotp
import zxingcpp
from PIL import Image

from app.accounts import lockout
from app.security import ROLES
from tests import logins, people

PASSWORD = "Second-Factor-2026!"


def _qr_secret(actor) -> str:
    """The secret the QR code on the page holds, read from its screenshot."""
    png = actor.page.locator(".two-factor-qr svg").screenshot()
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    uri = urlsplit(found.text)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp"), found.text
    return parse_qs(uri.query)["secret"][0]


def _enrol(actor, step: str) -> tuple[str, list[str]]:
    """Set up the app from the QR code, a wrong code first; returns (secret, recovery codes)."""
    secret = _qr_secret(actor)
    shown = actor.page.inner_text(".two-factor-secret")
    assert shown.replace(" ", "") == secret  # the same key, in text for typing
    actor.typed.update(shown.split())
    actor.shot(f"{step}-qr")
    right = pyotp.TOTP(secret).at(lockout.now())
    actor.type("#code", f"{(int(right) + 1) % 1_000_000:06d}")
    actor.page.click("form.two-factor-confirm [type=submit]")
    assert "验证码不正确" in actor.shot(f"{step}-wrong-code")
    actor.type("#code", right)
    actor.page.click("form.two-factor-confirm [type=submit]")
    actor.page.wait_for_load_state()
    codes = actor.page.locator(".recovery-codes li").all_inner_texts()
    actor.typed.update(codes)
    assert len(codes) == 10 and "仅显示这一次" in actor.shot(f"{step}-recovery-codes")
    return secret, codes


def _logout(actor):
    actor.open("/logout/")


def test_enrolment_code_step_and_recovery_code_at_1280_and_390_px(live_server, actors):
    app = live_server.app
    sm = app.appbuilder.sm
    assert sm.add_user("b_reviewer", "审查员丁", "", "b_reviewer@gd.invalid",
                       sm.find_role(ROLES["reviewer"].name), password=PASSWORD)

    # -- a reviewer without two factors: after the password, the enrolment and nothing else
    reviewer = actors("reviewer2fa").login("b_reviewer", PASSWORD)
    assert urlsplit(reviewer.page.url).path == "/two-factor/enrol/"
    reviewer.open("/acceptancequeueview/list/")
    assert urlsplit(reviewer.page.url).path == "/two-factor/enrol/"
    secret, codes = _enrol(reviewer, "enrol")
    reviewer.page.click("text=我已妥善保存，继续")
    reviewer.see("待受理")
    _logout(reviewer)

    # -- the code step: a recovery code in place of the app's code, once
    reviewer.login("b_reviewer", PASSWORD, code="")
    assert "动态验证码" in reviewer.shot("code-step")
    reviewer.type("#code", codes[0])
    reviewer.page.click("form.two-factor-code [type=submit]")
    assert "还剩 9 个" in reviewer.shot("signed-in-with-recovery-code")
    _logout(reviewer)
    reviewer.login("b_reviewer", PASSWORD, code="")
    reviewer.type("#code", codes[0])
    reviewer.page.click("form.two-factor-code [type=submit]")
    assert "验证码不正确或已使用过" in reviewer.shot("recovery-code-used")
    # -- and the app's code, as every later login
    reviewer.type("#code", logins.current_code(app, "b_reviewer", secret))
    reviewer.page.click("form.two-factor-code [type=submit]")
    reviewer.page.wait_for_load_state()
    assert urlsplit(reviewer.page.url).path == "/"

    # -- a practitioner enrols by choice, from the account page, on a phone
    phone = actors("practitioner2fa", phone=True).login("prac_a", people.PASSWORD)
    phone.open("/users/userinfo/")
    phone.page.click("text=双因素认证")
    phone.page.wait_for_load_state()
    qr = phone.page.locator(".two-factor-qr svg").bounding_box()
    assert qr["x"] >= 0 and qr["x"] + qr["width"] <= 390  # the whole code on the screen
    secret, _codes = _enrol(phone, "phone-enrol")
    _logout(phone)
    phone.login("prac_a", people.PASSWORD, code="")
    phone.shot("phone-code-step")
    phone.type("#code", logins.current_code(app, "prac_a", secret))
    phone.page.click("form.two-factor-code [type=submit]")
    phone.page.wait_for_load_state()
    assert urlsplit(phone.page.url).path == "/" and re.search("执业", phone.shot("phone-signed-in"))

    # -- the account's two-factor page once enrolled, then a malformed address, on the phone
    phone.open("/two-factor/")
    assert "恢复码" in phone.shot("phone-two-factor-status")
    answer = phone.page.goto(phone.base + "/myapplicationview/list/?page_x=abc")
    assert answer.status == 400
    phone.page.screenshot(path=str(phone.next_file("phone-malformed-paging")), full_page=True)
    assert "必须是大于或等于零的整数" in phone.page.inner_text("body")
