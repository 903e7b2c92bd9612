"""Batch printing (app/certificates/batch_print.py): the certificates of the ticked
registrations as one zip, read back here; the ones that cannot be printed listed in 说明.txt,
or on a page when none can be; another enterprise's registrations refused."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from urllib.parse import unquote

import sqlalchemy as sa
from pypdf import PdfReader

from app.certificates.batch_print import MAX_PRINT, NOTE_NAME
from app.certificates.signing import check
from app.extensions import db
from app.models import AuditLog, Certificate, Practitioner, Registration
from tests.workflow_support import make_certificate_holder


def _print(client, view: str, ids):
    return client.post(f"/{view}/action_post",
                       data={"action": "batch_print", "rowid": [str(i) for i in ids]})


def _registration_of(username: str, app) -> Registration:
    """The fixture account's own registration (tests/people.py), expired since 2026-03-01."""
    user = app.appbuilder.sm.find_user(username=username)
    return db.session.scalar(sa.select(Registration).join(
        Practitioner, Registration.practitioner_id == Practitioner.id).where(
        Practitioner.user_id == user.id))


def _zip_name(response) -> str:
    header = response.headers["Content-Disposition"]
    return unquote(re.search(r"filename\*=UTF-8''([^;]+)", header).group(1))


def test_an_enterprise_downloads_its_certificates_as_one_zip(app, login):
    holders = [make_certificate_holder(app, login, f"zip{n}") for n in range(2)]
    expired = _registration_of("prac_a", app)  # ent_a's, every specialty expired
    foreign = _registration_of("prac_b", app)  # ent_b's
    ids = [r.id for _, r in holders] + [expired.id, foreign.id]
    response = _print(login("ent_a"), "enterpriseregistrationview", ids)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert _zip_name(response).startswith("电子证书") and _zip_name(response).endswith("（2份）.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert names[0] == NOTE_NAME and len(names) == 3
    for person, registration in holders:
        db.session.refresh(registration)
        [current] = [c for c in registration.certificates if not c.void]
        name = f"{person.real_name} 电子注册证书-{registration.number}-第{current.version}版.pdf"
        assert name in names, names
        pdf = archive.read(name)
        assert check(pdf).valid and registration.number in "".join(
            p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        assert current.pdf_id is not None  # the single print's path: stored, the same document
    note = archive.read(NOTE_NAME).decode("utf-8")
    assert expired.number in note and "均已过有效期" in note
    assert "该注册记录不存在。" in note and foreign.number not in note  # nothing of ent_b's shown
    downloads = db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(
        AuditLog.action == "certificate_download"))
    assert downloads == 2


def test_the_same_version_is_printed_again_and_a_new_one_issued_when_needed(app, login):
    _, registration = make_certificate_holder(app, login, "again")
    client = login("reviewer")
    first = zipfile.ZipFile(io.BytesIO(_print(client, "registrationadminview", [registration.id]).data))
    db.session.execute(sa.update(Certificate).where(Certificate.registration_id == registration.id)
                       .values(usage_until=dt.date(2000, 1, 1)))
    db.session.commit()
    second = zipfile.ZipFile(io.BytesIO(_print(client, "registrationadminview", [registration.id]).data))
    assert [n for n in first.namelist() if "第1版" in n] and [n for n in second.namelist() if "第2版" in n]


def test_the_authority_prints_any_registration_and_none_printable_answers_a_page(app, login):
    client = login("approver")
    ids = [_registration_of("prac_a", app).id, _registration_of("prac_b", app).id]
    response = _print(client, "registrationadminview", ids)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert html.count('data-done="0"') == 2 and "均已过有效期" in html and "批量打印电子证书" in html


def test_printing_is_bounded_and_not_offered_to_those_without_it(app, login):
    client = login("ent_a")
    response = _print(client, "enterpriseregistrationview", list(range(1, MAX_PRINT + 2)))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"您勾选了{MAX_PRINT + 1}行" in page
    assert "batch_print_menu_item" in client.get("/enterpriseregistrationview/list/").get_data(
        as_text=True)
    practitioner = login("prac_a")
    refused = _print(practitioner, "registrationadminview", [_registration_of("prac_b", app).id])
    assert refused.status_code == 302 and refused.mimetype != "application/zip"


def test_the_page_of_nothing_printed_goes_back_to_the_list_as_it_was_searched(app, login):
    client = login("approver")
    searched = "/registrationadminview/list/?_flt_0_status=expired&page_RegistrationAdminView=1"
    response = client.post("/registrationadminview/action_post", headers={
        "Referer": "http://localhost" + searched}, data={
        "action": "batch_print", "rowid": [str(_registration_of("prac_a", app).id)]})
    back = re.search(r'<a href="([^"]+)" class="btn btn-default">返回列表', response.get_data(
        as_text=True))[1]
    assert back.replace("&amp;", "&") == searched
