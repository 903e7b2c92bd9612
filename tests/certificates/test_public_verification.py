"""Public verification (公众查询): the QR code's page and the name + number lookup show the
live record and nothing more, say whether a certificate version still holds, answer every
unknown token alike, and are rate limited per client address.

Registrations and certificate versions come from approvals through the real route."""
import datetime as dt
import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.dates import province_today
from app.enums import ApplicationState as S
from app.enums import ApplicationType
from app.extensions import db
from app.models import Certificate, Registration
from tests.workflow_support import act, enterprise_of, make_applicant, put_application

STATUS = re.compile(r'data-status="(\w+)">([^<]+)<')
VERDICT = re.compile(r'data-verdict="(\w+)"')


def _approve(approver, app_id):
    response = act(approver, app_id, "approve")
    assert response.status_code == 200, response.json
    db.session.expire_all()


@pytest.fixture
def holder(app, login):
    """A constructor registered at enterprise A by an approved initial application."""
    person = make_applicant(app, "holder", enterprise_of("ent_a", app))
    approver = login("approver")
    _approve(approver, put_application(person, enterprise_of("ent_a", app), S.pending_decision))
    registration = db.session.scalar(sa.select(Registration).filter_by(practitioner_id=person.id))
    return SimpleNamespace(person=person, registration=registration, approver=approver)


def _file_and_approve(app, holder, app_type, enterprise="ent_a"):
    _approve(holder.approver, put_application(
        holder.person, enterprise_of(enterprise, app), S.pending_decision, app_type=app_type,
        registration=holder.registration))


def _tokens(registration) -> list[str]:
    return list(db.session.scalars(sa.select(Certificate.token).filter_by(
        registration_id=registration.id).order_by(Certificate.version)))


def _masked(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:]


def test_the_current_version_shows_the_live_record_and_nothing_private(app, client, holder):
    [token] = _tokens(holder.registration)
    response = client.get(f"/verify/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert VERDICT.findall(html) == ["current"]
    assert STATUS.findall(html) == [("valid", "有效")]
    person, registration = holder.person, holder.registration
    assert person.real_name in html and registration.number in html
    assert "二级注册建造师" in html and "测试建设工程有限公司甲" in html
    expiry = registration.specialties[0].expires_on.isoformat()
    assert "建筑工程" in html and expiry in html
    assert _masked(person.id_number) in html and "440106********" in _masked(person.id_number)
    assert person.id_number not in html and person.phone not in html
    assert person.id_number[6:14] not in html  # the birth date is masked too
    assert "/registry/file/" not in html  # no photo or signature
    [line] = re.findall(r'<tr class="history-line">(.*?)</tr>', html, re.S)
    assert province_today().isoformat() in line and "初始注册" in line and "建筑工程" in line
    assert "测试建设工程有限公司甲" in line
    assert response.headers["Cache-Control"] == "no-store"


def test_a_newer_version_voids_the_old_one_which_shows_the_new_record(app, client, holder):
    _file_and_approve(app, holder, ApplicationType.change, enterprise="ent_b")
    old, new = _tokens(holder.registration)
    html = client.get(f"/verify/{old}").get_data(as_text=True)
    assert VERDICT.findall(html) == ["void"] and 'data-superseded-by="2"' in html
    assert STATUS.findall(html) == [("valid", "有效")]  # the registration itself still holds
    employer = re.search(r"<th>[^<]*</th><td>(测试建设工程有限公司.)</td>", html)
    assert employer and employer.group(1) == "测试建设工程有限公司乙"
    lines = re.findall(r'<tr class="history-line">(.*?)</tr>', html, re.S)
    assert len(lines) == 2 and "初始注册" in lines[0] and "变更注册" in lines[1]
    assert "测试建设工程有限公司乙" in lines[1]
    current = client.get(f"/verify/{new}").get_data(as_text=True)
    assert VERDICT.findall(current) == ["current"] and "data-superseded-by" not in current


def test_a_cancelled_registration_voids_its_certificate(app, client, holder):
    [token] = _tokens(holder.registration)
    _file_and_approve(app, holder, ApplicationType.cancellation)
    html = client.get(f"/verify/{token}").get_data(as_text=True)
    assert VERDICT.findall(html) == ["void"] and "data-superseded-by" not in html
    assert STATUS.findall(html) == [("cancelled", "已注销")]
    lines = re.findall(r'<tr class="history-line">(.*?)</tr>', html, re.S)
    assert "注销注册" in lines[-1]


def test_usage_period_and_expiry_are_judged_against_today(app, client, holder):
    [token] = _tokens(holder.registration)
    yesterday = province_today() - dt.timedelta(days=1)
    certificate = db.session.scalar(sa.select(Certificate).filter_by(token=token))
    certificate.usage_until = yesterday
    db.session.commit()
    html = client.get(f"/verify/{token}").get_data(as_text=True)
    assert VERDICT.findall(html) == ["current"]  # the version holds; its printout does not
    assert 'data-usage="ended"' in html and yesterday.isoformat() in html

    for period in db.session.get(Registration, holder.registration.id).specialties:
        period.expires_on = yesterday
    db.session.commit()
    html = client.get(f"/verify/{token}").get_data(as_text=True)
    assert STATUS.findall(html) == [("lapsed", "已失效")]  # recorded valid, but nothing runs
    assert VERDICT.findall(html) == ["void"]


def test_every_unknown_token_gets_the_same_404(app, client, holder):
    [real] = _tokens(holder.registration)
    tampered = real[:-1] + ("A" if real[-1] != "A" else "B")
    # A NUL is not a token: it is refused with 400 before any route runs (issue 14,
    # tests/test_hostile_routes.py), as on every other page.
    candidates = [tampered, "x", "A" * 64, "a" * 500, "a%2Fb", "a/b/c", "' OR '1'='1",
                  "%E8%AF%81%E4%B9%A6", "..%2F..%2Fetc%2Fpasswd", real + "x", real.lower()]
    bodies = set()
    for token in candidates:
        response = client.get(f"/verify/{token}")
        assert response.status_code == 404, token
        body = _without_nonce(response.get_data(as_text=True))  # a random nonce may hold "OR"
        assert "OR" not in body and "passwd" not in body  # the token is not echoed
        bodies.add(body)
    assert len(bodies) == 1
    assert "/verify/" in bodies.pop()  # it offers the lookup by name and number


def _without_nonce(html: str) -> str:
    """Every response carries its own script nonce (app/accounts/headers.py); the rest must match."""
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


def _lookup(client, real_name, number):
    response = client.post("/verify/", data={"real_name": real_name, "number": number})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_lookup_by_name_and_number_finds_the_live_record(app, client, holder):
    person, number = holder.person, holder.registration.number
    html = _lookup(client, f"  {person.real_name} ", f" {number}  ")
    assert STATUS.findall(html) == [("valid", "有效")] and _masked(person.id_number) in html
    assert 'data-result="none"' not in html
    assert VERDICT.findall(html) == []  # no certificate version is presented here
    assert client.get("/verify/").status_code == 200


def test_a_failed_lookup_does_not_say_which_half_was_wrong(app, client, holder):
    name, number = holder.person.real_name, holder.registration.number
    tries = [("王五", number), (name, number[:-1] + "9"), ("王五", "粤2000"), (name[:-1], number)]
    pages = set()
    for real_name, wrong_number in tries:
        html = _lookup(client, real_name, wrong_number)
        assert 'data-result="none"' in html and STATUS.findall(html) == []
        pages.add(_without_nonce(html).replace(f'value="{real_name}"', 'value="N"')
                  .replace(f'value="{wrong_number}"', 'value="R"'))
    assert len(pages) == 1


def test_both_fields_are_required(app, client, holder):
    html = _lookup(client, "   ", holder.registration.number)
    assert "has-error" in html and 'data-result="none"' not in html and STATUS.findall(html) == []


def test_a_hostile_name_is_shown_escaped(app, client, holder):
    hostile = "<script>alert(1)</script>"
    db.session.get(type(holder.person), holder.person.id).real_name = hostile
    db.session.commit()
    [token] = _tokens(holder.registration)
    for html in (client.get(f"/verify/{token}").get_data(as_text=True),
                 _lookup(client, hostile, holder.registration.number)):
        assert hostile not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert STATUS.findall(html) == [("valid", "有效")]


def test_the_lookup_needs_the_csrf_token(app, client, holder):
    app.config["WTF_CSRF_ENABLED"] = True
    data = {"real_name": holder.person.real_name, "number": holder.registration.number}
    assert client.post("/verify/", data=data).status_code == 400
    page = client.get("/verify/").get_data(as_text=True)
    data["csrf_token"] = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                   page).group(1)
    html = client.post("/verify/", data=data).get_data(as_text=True)
    assert STATUS.findall(html) == [("valid", "有效")]


def test_rate_limit_per_client_address(app, client, holder):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    [token] = _tokens(holder.registration)
    assert [client.get(url).status_code for url in (
        f"/verify/{token}", "/verify/unknown", f"/verify/{token}")] == [200, 404, 200]
    limited = client.get(f"/verify/{token}")
    assert limited.status_code == 429
    html = limited.get_data(as_text=True)
    assert "请求过于频繁" in html and holder.person.real_name not in html
    assert client.get("/verify/unknown").status_code == 429  # unknown tokens count the same
    form = {"real_name": holder.person.real_name, "number": holder.registration.number}
    assert [client.post("/verify/", data=form).status_code for _ in range(4)] == [200] * 3 + [429]
    assert [client.get("/verify/file/").status_code for _ in range(4)] == [200] * 3 + [429]
    other = client.get(f"/verify/{token}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200
    assert client.get("/").status_code == 200  # only the verification pages are limited


def test_the_anonymous_home_page_links_the_lookup(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/verify/"' in html
