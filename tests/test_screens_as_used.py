"""What was broken when the system was used through a real browser (issue 12), each pinned
by a test that fails without its fix; the browser suite (tests/browser) walks them too."""
from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.certificates.pdf import certificate_fields
from app.dates import local_time, province_now
from app.enums import ApplicationState as S
from app.extensions import db
from app.models import Application, Certificate, Decision
from app.security import ROLES
from app.workflow import BY_NAME
from tests import image_samples as samples
from tests.workflow_support import (
    act,
    act_web,
    enterprise_of,
    make_applicant,
    make_certificate_holder,
    payload_for,
    put_application,
)

UTC_EVENING = dt.datetime(2026, 12, 1, 18, 6, tzinfo=dt.UTC)  # 2026-12-02 02:06 in Guangdong


def _latin1(headers) -> None:
    for value in headers.values():
        value.encode("latin-1")  # what Werkzeug's server and gunicorn do with every header


# ---------------------------------------------------------------- 1. downloads
def test_the_certificate_downloads_under_a_chinese_name_with_an_ascii_fallback(app, login):
    person, registration = make_certificate_holder(app, login)
    assert registration.number.startswith("粤")
    response = login("holder").post(f"/myregistrationview/action/certificate/{registration.id}")
    assert response.status_code == 200
    _latin1(response.headers)
    disposition = response.headers["Content-Disposition"]
    ascii_name = registration.number.removeprefix("粤")
    assert f'filename="certificate-{ascii_name}-v1.pdf"' in disposition
    assert "filename*=UTF-8''" + "%E7%94%B5%E5%AD%90" in disposition  # 电子注册证书-…


def test_every_export_and_template_download_travels_as_latin1(app, login):
    reviewer = login("reviewer")
    for url in ("/registrationadminview/export/csv", "/registrationadminview/export/xlsx",
                "/roster/template"):
        response = reviewer.get(url)
        assert response.status_code == 200, url
        _latin1(response.headers)
        assert "filename*=UTF-8''" in response.headers["Content-Disposition"]


# ---------------------------------------------------------------- 2. after a button
TRANSITION_PAGES = [  # (who, page the button is on, state, transition, page landed on)
    ("ent_a", "enterprisequeueview", S.pending_enterprise, "forward", "enterpriseapplicationview"),
    ("reviewer", "acceptancequeueview", S.pending_acceptance, "accept", "applicationadminview"),
    ("reviewer", "acceptancequeueview", S.pending_acceptance, "review_return",
     "applicationadminview"),
    ("reviewer", "reviewqueueview", S.under_review, "pass_review", "applicationadminview"),
    ("approver", "decisionqueueview", S.pending_decision, "approve", "applicationadminview"),
    ("applicant", "myapplicationview", S.pending_enterprise, "withdraw", "myapplicationview"),
]


@pytest.mark.parametrize("who, view, state, name, landing", TRANSITION_PAGES,
                         ids=[f"{page[1]}-{page[3]}" for page in TRANSITION_PAGES])
def test_a_button_leads_to_the_application_in_its_new_state(app, login, who, view, state, name,
                                                            landing):
    """The queue's own page answered 404 once the application had moved on."""
    person = make_applicant(app, "applicant", enterprise_of("ent_a", app))
    app_id = put_application(person, enterprise_of("ent_a", app), state)
    client = login(who)
    page = client.get(f"/{view}/show/{app_id}").get_data(as_text=True)
    form = page[page.index(f'data-transition="{name}"'):]
    target = html.unescape(re.search(r'name="next" value="([^"]+)"', form).group(1))
    assert target == f"/{landing}/show/{app_id}"
    response = act_web(client, app_id, name, payload_for(BY_NAME[name]), next_page=target)
    assert response.status_code == 302 and response.headers["Location"].endswith(target)
    landed = client.get(target)
    assert landed.status_code == 200
    text = landed.get_data(as_text=True)
    assert "已完成" in text and str(BY_NAME[name].target) in text


# ---------------------------------------------------------------- 5, 6, 8. the application page
def test_the_application_page_shows_no_raw_data_and_one_clock(app, login):
    person = make_applicant(app, "clocked", enterprise_of("ent_a", app))
    app_id = put_application(person, enterprise_of("ent_a", app), S.draft)
    assert act(login("clocked"), app_id, "submit").status_code == 200
    db.session.execute(sa.update(Application).where(Application.id == app_id)
                       .values(submitted_at=UTC_EVENING))
    db.session.execute(sa.update(Decision).where(Decision.application_id == app_id)
                       .values(created_at=UTC_EVENING))
    db.session.commit()
    for username, url in (("clocked", f"/myapplicationview/show/{app_id}"),
                          ("ent_a", f"/enterpriseapplicationview/show/{app_id}")):
        page = login(username).get(url).get_data(as_text=True)
        assert "severity" not in page and "&#39;rule&#39;" not in page and "[{" not in page
        assert page.count("2026-12-02 02:06") == 2 and "18:06" not in page  # table and timeline


def test_the_enterprise_sees_what_it_is_asked_to_confirm(app, login):
    person = make_applicant(app, "verified", enterprise_of("ent_a", app))
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_enterprise)
    page = login("ent_a").get(f"/enterprisequeueview/show/{app_id}").get_data(as_text=True)
    for shown in (person.id_number, "CERT-verified", "建筑工程", "申请人及核实事项",
                  f"/registry/file/{person.photo_id}", "已核实劳动合同", "2025-01-01"):
        assert shown in page, shown
    assert login("ent_a").get(f"/registry/file/{person.photo_id}").status_code == 200


def test_times_and_days_are_the_provinces(app):
    assert province_now(UTC_EVENING).date() == dt.date(2026, 12, 2)
    assert local_time(UTC_EVENING.replace(tzinfo=None)) == "2026-12-02 02:06"  # SQLite's naive


def test_the_certificate_is_dated_by_the_provinces_day(app, login):
    person, registration = make_certificate_holder(app, login)
    certificate = db.session.scalar(sa.select(Certificate).filter_by(registration_id=registration.id))
    certificate.issued_at = UTC_EVENING
    db.session.commit()
    with app.test_request_context():
        assert certificate_fields(certificate)["issued_on"] == "2026年12月02日"
    page = login("holder").get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "2026-12-02" in page and "2026-12-01" not in page


# ---------------------------------------------------------------- 11. the QR code's address
def test_the_qr_code_follows_the_address_served_outside_production(app, login):
    person, registration = make_certificate_holder(app, login)
    certificate = db.session.scalar(sa.select(Certificate).filter_by(registration_id=registration.id))
    with app.test_request_context(base_url="http://127.0.0.1:5101"):
        assert certificate_fields(certificate)["verify_url"].startswith("http://127.0.0.1:5101/verify/")
    app.config["PUBLIC_BASE_URL"] = "https://zscx.example.gov.cn"
    with app.test_request_context(base_url="http://127.0.0.1:5101"):
        assert certificate_fields(certificate)["verify_url"].startswith("https://zscx.example.gov.cn/")


# ---------------------------------------------------------------- 3. declaring a certificate
def _declare(client, **fields):
    from tests.workflow_support import qualification

    q = qualification()
    data = {"qualification": str(q.id), "specialty": str(q.specialties[0].id),
            "certificate_number": "SCAN-1", "issue_date": "2024-06-01", **fields}
    return client.post("/myqualificationcertificateview/add", data=data,
                       content_type="multipart/form-data", follow_redirects=True)


def test_the_certificate_form_has_the_scan_and_names_the_empty_choice(app, login):
    page = login("prac_a").get("/myqualificationcertificateview/add").get_data(as_text=True)
    assert 'type="file"' in page and 'name="scan"' in page and "PDF" in page
    assert ">__None<" not in page and "（未选择）" in page
    assert 'id="specialty-choices"' in page  # the list follows the qualification
    assert re.search(r'<input[^>]*class="form-control"[^>]*id="certificate_number"', page)


def test_a_pdf_scan_is_accepted_and_stored_without_its_active_content(app, login):
    client = login("prac_a")
    page = _declare(client, scan=(io.BytesIO(samples.scan_pdf()), "scan.pdf")).get_data(as_text=True)
    assert "审查人员将根据扫描件核验该证书" in page
    from app.models import QualificationCertificate, StoredFile

    row = db.session.scalar(sa.select(QualificationCertificate).filter_by(certificate_number="SCAN-1"))
    stored = db.session.get(StoredFile, row.scan_id)
    assert stored.content_type == "application/pdf" and b"/URI" not in stored.data
    assert len(PdfReader(io.BytesIO(stored.data)).pages) == 1
    reviewer = login("reviewer")
    edit = reviewer.get(f"/qualificationcertificateadminview/edit/{row.id}").get_data(as_text=True)
    assert f"/registry/file/{row.scan_id}" in edit and "SCAN-1" in edit  # verified with it in view


@pytest.mark.parametrize("content, message", [
    (samples.gif(), "只接受 JPEG、PNG、HEIC 或 PDF 文件"),
    (b"%PDF-1.4 not really a pdf", "PDF 文件已损坏或不完整"),
])
def test_a_bad_scan_is_refused_and_nothing_is_added(app, login, content, message):
    page = _declare(login("prac_a"), scan=(io.BytesIO(content), "scan.pdf")).get_data(as_text=True)
    assert message in page
    from app.models import QualificationCertificate

    assert db.session.scalar(sa.select(QualificationCertificate).filter_by(
        certificate_number="SCAN-1")) is None


def test_a_specialty_is_required_where_the_qualification_has_them(app, login):
    page = _declare(login("prac_a"), specialty="", scan=(io.BytesIO(samples.scan_pdf()), "s.pdf"))
    assert "请选择证书的专业" in page.get_data(as_text=True)


def test_verifying_a_declared_certificate_completes_the_entry_and_tells_the_holder(app, login):
    from app.enums import RegistryStatus
    from app.models import Notification, Practitioner, QualificationCertificate

    client = login("prac_a")
    _declare(client, scan=(io.BytesIO(samples.scan_pdf()), "scan.pdf"))
    row = db.session.scalar(sa.select(QualificationCertificate).filter_by(certificate_number="SCAN-1"))
    person = db.session.get(Practitioner, row.practitioner_id)
    person.registry_status = RegistryStatus.pending
    db.session.commit()
    response = login("reviewer").post(f"/qualificationcertificateadminview/edit/{row.id}",
                                      data={"verification": "verified", "rejection_reason": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Practitioner, person.id).registry_status == RegistryStatus.entered
    titles = db.session.scalars(sa.select(Notification.title).filter_by(user_id=person.user_id))
    assert "资格证书 SCAN-1 核验通过" in list(titles)


# ---------------------------------------------------------------- 9. the superuser's screens
def test_roles_read_as_screens_and_what_may_be_done_there(app, login):
    client = login("secadmin")
    listing = client.get("/roles/list/").get_data(as_text=True)
    assert "can_" not in listing and "can list on" not in listing and "待核实申请" in listing
    role = app.appbuilder.sm.find_role(ROLES["enterprise"].name)
    shown = client.get(f"/roles/show/{role.id}").get_data(as_text=True)
    assert "核实并上报注册管理部门" in shown and "本企业账号" in shown and "停用" in shown
    assert "ApplicationWorkflow" not in shown and "UserInfoEditView" not in shown
    custom = app.appbuilder.sm.add_role("自定义角色")  # system roles are read-only (test_roles)
    form = client.get(f"/roles/edit/{custom.id}").get_data(as_text=True)
    assert "我的申请：列表" in form and "can add on" not in form


def test_the_account_screens_show_words_not_python_values(app, login):
    listing = login("sysadmin").get("/users/list/").get_data(as_text=True)
    assert ">True<" not in "".join(listing.split()) and "[执业人员]" not in listing
    assert "Groups" not in listing and "执业人员" in listing
    groups = login("admin").get("/groups/list/").get_data(as_text=True)
    assert "List Groups" not in groups and "用户组" in groups


def test_every_account_opens_its_own_page_and_changes_its_password_there(app, login):
    for username in ("sysadmin", "prac_a", "auditor"):
        page = login(username).get("/users/userinfo/")
        assert page.status_code == 200, username
        assert "/users/action/resetmypassword/" in page.get_data(as_text=True), username
    # The practitioner's name is the real-name sign-up's: not edited on the account page.
    assert "userinfoedit" not in login("prac_a").get("/users/userinfo/").get_data(as_text=True)
    assert "userinfoedit" in login("auditor").get("/users/userinfo/").get_data(as_text=True)


# ---------------------------------------------------------------- the second look
def test_sorting_by_a_computed_column_is_not_offered_and_not_a_500(app, login):
    client = login("ent_a")
    listing = client.get("/enterprisestaffview/list/").get_data(as_text=True)
    assert "_oc_EnterpriseStaffView=active" not in listing
    # A sort typed into the URL by a column that is not offered is refused, in words.
    forged = client.get("/enterprisestaffview/list/?_oc_EnterpriseStaffView=active"
                        "&_od_EnterpriseStaffView=asc")
    assert forged.status_code == 400 and "排序" in forged.get_data(as_text=True)


def test_a_search_filter_starts_empty(app, login):
    page = login("auditor").get("/auditlogview/list/").get_data(as_text=True)
    assert not re.search(r'name="created_at"[^>]*value="\d{4}-', page)


def test_an_approved_application_does_not_open_in_its_form(app, login):
    person = make_applicant(app, "closed", enterprise_of("ent_a", app))
    app_id = put_application(person, enterprise_of("ent_a", app), S.approved)
    response = login("closed").get(f"/apply/initial/edit/{app_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/show/{app_id}")


def test_a_specialty_is_added_once_and_renewed_only_where_registered(app, login):
    import datetime as dt

    from tests.workflow_support import put_registration, qualification

    person = make_applicant(app, "specialist", enterprise_of("ent_a", app))
    registration = put_registration(person, enterprise_of("ent_a", app), [dt.date(2029, 1, 1)])
    held, other = qualification().specialties[0], qualification().specialties[1]
    client = login("specialist")
    added = client.post("/apply/add_specialty/add", data={
        "registration": str(registration.id), "specialties": [str(held.id)]})
    assert "已注册的专业" in added.get_data(as_text=True)
    renewed = client.post("/apply/renewal/add", data={
        "registration": str(registration.id), "specialties": [str(other.id)],
        "continuing_education": "2028年 60学时"})
    assert "不能延续" in renewed.get_data(as_text=True)
    form = client.get("/apply/add_specialty/add").get_data(as_text=True)
    assert '"mode": "not_held"' in form and f'"{registration.id}": [{held.id}]' in form


def test_the_verification_page_shows_the_record_once_above_the_form(app, login):
    from app.models import QualificationCertificate

    row = db.session.scalar(sa.select(QualificationCertificate).limit(1))
    page = login("reviewer").get(f"/qualificationcertificateadminview/edit/{row.id}")
    html_text = page.get_data(as_text=True)
    assert "record-table" in html_text and html_text.count('name="verification"') == 1
    assert html_text.count("fa-arrow-left") == 1  # one back button, the form's
